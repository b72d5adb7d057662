"""The exported sentiment classifier (recur sentiment) as torch modules with Recur's state-dict names.

A review is its word ids (0 padding, 1 unknown, cut to its first max_tokens tokens as Recur reads it); word vectors
(`embed`) with dropout, a bidirectional LSTM (`rnn`, an nn.LSTM(bidirectional=True) packed to each review's own length,
dropout between layers), its outputs pooled over the review's real steps (each feature's largest value, or their mean:
`pooling`), dropout, and a linear `head` scoring negative (0) and positive (1). The loss is the mean cross-entropy over
the reviews. Tokenising raw text is left to Recur (`recur sentiment RUN "text"`): the package reads the ids Recur wrote.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import recur_load


class Sentiment(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        self.embed = nn.Embedding(m["words"], m["embed"])
        self.rnn = nn.LSTM(m["embed"], m["hidden"], m["layers"], bidirectional=True, dropout=m["dropout"] if m["layers"] > 1 else 0.0)
        self.head = nn.Linear(2 * m["hidden"], 2)

    def forward(self, words, lengths):
        """words (T, B) ids, lengths (B) -> logits (B, 2)."""
        T = words.shape[0]
        x = F.dropout(self.embed(words), self.m["dropout"], self.training)
        out, _ = self.rnn(pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=T)  # (T, B, 2H), 0 on padding
        real = (torch.arange(T).unsqueeze(1) < lengths.cpu().unsqueeze(0)).to(words.device).unsqueeze(2)  # (T, B, 1)
        if self.m["pooling"] == "mean":
            pooled = (out * real).sum(0) / lengths.to(out.dtype).unsqueeze(1)
        else:
            pooled = out.masked_fill(~real, float("-inf")).max(0).values
        return self.head(F.dropout(pooled, self.m["dropout"], self.training))


def build_model(config):
    return Sentiment(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights)


def example_count(examples):
    return len(examples["offsets"]) - 1


def batch(examples, idx):
    """The reviews idx of a set (ragged `words` by `offsets`, as Recur's SentimentDataset encodes them): words (T, B),
    lengths (B) and labels (B)."""
    rows = recur_load.rows(examples["words"], examples["offsets"], idx)
    return recur_load.padded(rows).t(), torch.tensor([len(r) for r in rows]), examples["labels"][idx]


def training_loss(net, examples, idx):
    """The mean cross-entropy of the reviews idx."""
    words, lengths, labels = batch(examples, idx)
    return F.cross_entropy(net(words, lengths), labels)
