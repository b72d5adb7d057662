"""The exported part-of-speech tagger (recur tag) as torch modules with Recur's state-dict names.

Each token is its word vector (`word_embed`, words lower-cased, 0 padding, 1 unknown) joined to the final states of
both directions of a character BiLSTM over its letters (`char_embed`, `char_rnn`, an nn.LSTM(bidirectional=True) run
packed to each word's length); a BiLSTM (`rnn`, packed to each sentence's length, dropout between layers) reads the
sentence and a linear `head` scores the tags at every step. Dropout on the sentence BiLSTM's input and output in
training. A word longer than max_word_chars keeps its first max - max // 3 and last max // 3 characters.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import recur_load

PAD, UNKNOWN, IGNORE = 0, 1, -100


class Tagger(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        self.word_embed = nn.Embedding(m["words"], m["word_embed"])
        self.char_embed = nn.Embedding(m["chars"], m["char_embed"])
        self.char_rnn = nn.LSTM(m["char_embed"], m["char_hidden"], bidirectional=True)
        width = m["word_embed"] + 2 * m["char_hidden"]
        self.rnn = nn.LSTM(width, m["hidden"], m["layers"], bidirectional=True, dropout=m["dropout"] if m["layers"] > 1 else 0.0)
        self.head = nn.Linear(2 * m["hidden"], m["tags"])

    def forward(self, words, lengths, chars, char_lengths):
        """words (T, B) ids, lengths (B); chars (Tc, N) the real tokens' character ids in time-major token order (step by
        step, sentence by sentence), char_lengths (N) -> logits (T, B, K), 0 on padding."""
        T, B = words.shape
        _, (hn, _) = self.char_rnn(pack_padded_sequence(self.char_embed(chars), char_lengths.cpu(), enforce_sorted=False))
        char_vec = torch.cat([hn[0], hn[1]], 1)  # (N, 2 Hc)
        real = (torch.arange(T).unsqueeze(1) < lengths.cpu().unsqueeze(0)).to(words.device)  # (T, B)
        x = torch.zeros(T, B, self.m["word_embed"] + char_vec.shape[1], device=words.device)
        x[real] = torch.cat([self.word_embed(words[real]), char_vec], 1)
        x = F.dropout(x, self.m["dropout"], self.training)
        out, _ = self.rnn(pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=T)
        return self.head(F.dropout(out, self.m["dropout"], self.training))


def encode(sentences, config):
    """Sentences (lists of words) as the tagger's inputs: words (T, B), lengths (B), chars (Tc, N), char_lengths (N)."""
    words = {w: i for i, w in enumerate(config["words"])}
    chars = {c: i for i, c in enumerate(config["chars"]) if i >= 2}
    limit = config["model"]["max_word_chars"]
    B, T = len(sentences), max(len(s) for s in sentences)
    ids = torch.zeros(T, B, dtype=torch.long)
    lists = []
    for t in range(T):
        for b, s in enumerate(sentences):
            if t < len(s):
                ids[t, b] = words.get(s[t].lower(), UNKNOWN)
                c = [chars.get(ch, UNKNOWN) for ch in s[t]] or [UNKNOWN]
                if len(c) > limit:
                    c = c[:limit - limit // 3] + c[len(c) - limit // 3:]
                lists.append(c)
    char_ids = torch.zeros(max(len(c) for c in lists), len(lists), dtype=torch.long)
    for n, c in enumerate(lists):
        char_ids[:len(c), n] = torch.tensor(c)
    return ids, torch.tensor([len(s) for s in sentences]), char_ids, torch.tensor([len(c) for c in lists])


def build_model(config):
    return Tagger(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights)


def example_count(examples):
    return len(examples["offsets"]) - 1


def batch(examples, idx):
    """The training sentences idx (train_set.safetensors: ragged `words`, `tags` by `offsets`, each token's `chars` by
    `char_offsets`, ids as Recur's TagDataset encodes them) as the tagger reads them: words (T, B), lengths (B),
    chars (Tc, N) and char_lengths (N) of the real tokens in time-major order, and targets (T, B), -100 on padding."""
    offsets = examples["offsets"]
    lengths = (offsets[idx + 1] - offsets[idx]).cpu()
    T = int(lengths.max())
    token = offsets[idx].unsqueeze(0) + torch.arange(T, device=offsets.device).unsqueeze(1)  # (T, B) token numbers
    real = (torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)).to(offsets.device)
    words = torch.zeros_like(token)
    targets = torch.full_like(token, IGNORE)
    words[real], targets[real] = examples["words"][token[real]], examples["tags"][token[real]]
    chars = recur_load.rows(examples["chars"], examples["char_offsets"], token[real])
    return words, lengths, recur_load.padded(chars).t(), torch.tensor([len(c) for c in chars]), targets


def training_sums(net, examples, idx):
    """(the summed cross-entropy of the sentences idx's tokens, their number): Recur's loss is its mean per token."""
    words, lengths, chars, char_lengths, targets = batch(examples, idx)
    logits = net(words, lengths, chars, char_lengths)
    return F.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1), ignore_index=IGNORE, reduction="sum"), \
        int((targets != IGNORE).sum())
