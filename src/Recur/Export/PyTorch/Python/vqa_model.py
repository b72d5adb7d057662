"""The exported VQA model (recur vqa train, src/Recur/Models/Vqa/VqaModel.cs) as torch modules with Recur's names.

An LSTM (`embed`, `rnn`) reads the question, left-padded with <NULL> (id 0) to max_words, from the zero state; its
final state q (B, H) attends over the image's feature grid a (B, L, D) (`att`: s = tanh(W_a a + b_a + W_q q),
alpha = softmax(w . s) over the L locations, z = sum alpha a); f = tanh(W_q q + b + W_z z) (`fuse_q`, `fuse_z`) scores
every answer (`head`), the visual answers' scores W_v z + b_v (`visual`) instead; the four choices' scores are the
question's. With class counts (class_count_width K > 0) the head reads [z ; sum over locations of a[:, :, off:off + K]]
for z: the encoder's class probabilities summed over the image, with no gradient into the frozen features; with presence
each location's probabilities are first weighed by sigmoid(presence(its features)). With count
answers the question picks a class, c = softmax(count_query(q)), its count is n = c . those sums, and the count answers
score count([n, n^2]) in place of the head's scores.
The question-only model (blind) has no attention and no fuse_z. With members M > 1 the model is an ensemble of M such
networks (`members.{k}.embed`, ...): its scores are log(mean over the members of softmax(member's choice scores)), and
its training loss the mean of the members' own cross-entropies. The frozen scene encoder's weights
(`encoder.*`) ride along in model.frozen: the features come with the evaluation set.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_load
from answer_head import AdditiveAttention, AnswerHead


class VqaNet(nn.Module):
    """One network of the model (all of it when members is 1)."""

    def __init__(self, m):
        super().__init__()
        E, H, D, K = m["embed"], m["hidden"], m["feature_dim"], m["attention_dim"]
        self.blind = m["blind"]
        self.count_offset, self.count_width = m.get("class_count_offset", 0), m.get("class_count_width", 0)
        self.embed = nn.Embedding(m["vocab"], E)
        self.rnn = nn.LSTM(E, H, 1)
        if not self.blind:
            self.att = AdditiveAttention(D, H, K)
        AnswerHead.build(self, "fuse_q", H, D + self.count_width, m["fusion"], m["answers"], m.get("visual_answers") or [], self.blind)
        self.count_answers = m.get("count_answers") or []
        if self.count_answers:
            self.count_query = nn.Linear(H, self.count_width)
            self.count = nn.Linear(2, len(self.count_answers))
        self.presence = nn.Linear(D, 1) if m.get("presence") else None

    def forward(self, features, questions, choices, each=False):
        """features (B, L, D), questions (B, T) int64 left-padded, choices (B, 4) answer ids -> the choices' scores (B, 4);
        with each, (1, B, 4) as an ensemble's members' scores."""
        _, (h, _) = self.rnn(self.embed(questions.t()))
        q = h[-1]
        z = None if self.blind else self.att(features, q)[0]
        if self.count_width > 0:
            probs = features[:, :, self.count_offset:self.count_offset + self.count_width].detach()
            if self.presence is not None:
                probs = torch.sigmoid(self.presence(features.detach())) * probs
            counts = probs.sum(1)
            z = torch.cat([z, counts], 1)
        scores = AnswerHead.scores(self, "fuse_q", q, z)
        if self.count_answers:
            n = (torch.softmax(self.count_query(q), 1) * counts).sum(1, keepdim=True)
            scores = scores.index_copy(1, torch.tensor(self.count_answers), self.count(torch.cat([n, n * n], 1)))
        scores = torch.gather(scores, 1, choices)
        return scores.unsqueeze(0) if each else scores


class VqaEnsemble(nn.Module):
    """members > 1: that many networks, `members.{k}.*`."""

    def __init__(self, m):
        super().__init__()
        self.members = nn.ModuleList(VqaNet(m) for _ in range(m["members"]))

    def forward(self, features, questions, choices, each=False, split=False):
        """-> the log of the members' mean choice probabilities (B, 4); with each, every member's scores (M, B, 4); with
        split, the inputs are M batches one after the other, member k's the k-th, and the result every member's scores on its own."""
        if split:
            parts = zip(features.chunk(len(self.members)), questions.chunk(len(self.members)), choices.chunk(len(self.members)))
            return torch.stack([net(f, q, c) for net, (f, q, c) in zip(self.members, parts)])
        scores = torch.stack([net(features, questions, choices) for net in self.members])
        if each:
            return scores
        return torch.log(torch.softmax(scores, 2).mean(0).clamp_min(1e-30))


def build_model(config):
    m = config["model"]
    return VqaNet(m) if m.get("members", 1) == 1 else VqaEnsemble(m)


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights, frozen=("encoder.",))


def example_count(examples):
    return len(examples["answers"])


def member_seeds(config, seed):
    """The seeds of the orders in which members 2 .. M visit the questions (VqaTask.MemberBatch; the first member's is the run's)."""
    return [(seed + 0x6D656D626572 * k) % (1 << 64) for k in range(1, config["model"].get("members", 1))]


def training_loss(net, examples, idx):
    """Recur's training loss of the questions idx: the mean cross-entropy over each one's four choices; an ensemble's, given
    one batch per member (a list), its members' own on their own batches, averaged."""
    if isinstance(idx, list):
        cat = torch.cat(idx)
        each = net(examples["features"][examples["scene"][cat]], examples["questions"][cat], examples["choices"][cat], split=True)
        return sum(F.cross_entropy(s, examples["answers"][i]) for s, i in zip(each, idx)) / len(each)
    each = net(examples["features"][examples["scene"][idx]], examples["questions"][idx], examples["choices"][idx], each=True)
    return sum(F.cross_entropy(s, examples["answers"][idx]) for s in each) / len(each)
