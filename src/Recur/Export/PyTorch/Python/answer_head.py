"""The attention and the answer head that VQA and visual dialog share (src/Recur/Nn/AdditiveAttention.cs,
src/Recur/Models/Vqa/AnswerHead.cs), with Recur's parameter names.
"""

import torch
import torch.nn as nn


class AdditiveAttention(nn.Module):
    """Recur's AdditiveAttention: `feature` (D to K), `query` (H to K, no bias), `score` (K to 1, no bias)."""

    def __init__(self, D, H, K):
        super().__init__()
        self.feature = nn.Linear(D, K)
        self.query = nn.Linear(H, K, bias=False)
        self.score = nn.Linear(K, 1, bias=False)

    def forward(self, feats, query):
        """feats (N, L, D), query (N, H) -> context (N, D), weights (N, L)."""
        s = torch.tanh(self.feature(feats) + self.query(query).unsqueeze(1))
        alpha = torch.softmax(self.score(s).squeeze(2), 1)
        return (alpha.unsqueeze(2) * feats).sum(1), alpha


class AnswerHead(nn.Module):
    """Recur's AnswerHead (VQA's and dialog's), its layers registered on `owner` under Recur's names."""

    @staticmethod
    def build(owner, query_name, X, D, Fu, A, visual, blind):
        setattr(owner, query_name, nn.Linear(X, Fu))
        if not blind:
            owner.fuse_z = nn.Linear(D, Fu, bias=False)
        owner.head = nn.Linear(Fu, A)
        if visual:
            owner.visual = nn.Linear(D, len(visual))
            owner.register_buffer("visual_ids", torch.tensor(visual, dtype=torch.int64), persistent=False)

    @staticmethod
    def scores(owner, query_name, x, z):
        """x (N, X), z (N, D) or None -> scores (N, A)."""
        pre = getattr(owner, query_name)(x)
        if z is not None:
            pre = pre + owner.fuse_z(z)
        logits = owner.head(torch.tanh(pre))
        if hasattr(owner, "visual"):
            logits = logits.index_copy(1, owner.visual_ids, owner.visual(z))
        return logits
