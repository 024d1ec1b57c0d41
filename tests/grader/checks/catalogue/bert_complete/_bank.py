"""Lesson 10's banks of correct alternatives, written as different students would (each
must pass, visible and hidden), and the measurement of the tolerances.

Run as a script (``python -m tests.grader.checks.catalogue.bert_complete._bank [seeds]``) it
prints the largest error of the float exercises' banks in float32 against the float64
reference, over many seeds, and the fraction of each tolerance it uses.
"""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from .. import _shared as shared

LESSON = "10_bert_complete"
HIDDEN_SEEDS = (3, 11)
CLS_ID, SEP_ID = 2, 3


def xid(name: str) -> str:
    """The lesson's exercise id of ``name``."""
    return f"{LESSON}/{name}"


def modes() -> list:
    """Visible once, then hidden with each of ``HIDDEN_SEEDS``."""
    return [pytest.param(False, None, id="visible")] + [
        pytest.param(True, s, id=f"hidden-{s}") for s in HIDDEN_SEEDS]


def bank_params(name: str) -> list:
    """``BANK[name]`` as pytest parameters named by each alternative."""
    return [pytest.param(c, id=getattr(c, "__name__", repr(c))) for c in BANK[name]]


# =========================================================================== pair_inputs


def pair_lists(tokens_a, tokens_b, max_len):
    a, b = tokens_a.tolist(), tokens_b.tolist()
    while len(a) + len(b) > max_len - 3:
        if len(a) > len(b):
            a.pop()
        else:
            b.pop()
    return torch.tensor([CLS_ID, *a, SEP_ID, *b, SEP_ID]), torch.tensor([0] * (len(a) + 2) + [1] * (len(b) + 1))


def pair_counts(tokens_a, tokens_b, max_len):
    """Works out the kept lengths first, then slices (HF's longest_first arithmetic)."""
    la, lb = len(tokens_a), len(tokens_b)
    remove = max(0, la + lb + 3 - max_len)
    first = min(abs(la - lb), remove)
    rest = remove - first
    cut_a = (first if la > lb else 0) + rest // 2
    cut_b = remove - cut_a
    a, b = tokens_a[:la - cut_a], tokens_b[:lb - cut_b]
    cls, sep = torch.tensor([CLS_ID]), torch.tensor([SEP_ID])
    ids = torch.cat([cls, a, sep, b, sep])
    types = torch.zeros_like(ids)
    types[len(a) + 2:] = 1
    return ids, types


def pair_recursive(tokens_a, tokens_b, max_len):
    """Truncates recursively, one token per call."""
    if len(tokens_a) + len(tokens_b) > max_len - 3:
        if len(tokens_a) > len(tokens_b):
            return pair_recursive(tokens_a[:-1], tokens_b, max_len)
        return pair_recursive(tokens_a, tokens_b[:-1], max_len)
    ids = torch.cat([tokens_a.new_tensor([CLS_ID]), tokens_a, tokens_a.new_tensor([SEP_ID]), tokens_b,
                     tokens_a.new_tensor([SEP_ID])]).long()
    types = torch.cat([torch.zeros(len(tokens_a) + 2, dtype=torch.long),
                       torch.ones(len(tokens_b) + 1, dtype=torch.long)])
    return ids, types


# =========================================================================== make_nsp_pairs


def nsp_loop(documents, *, generator=None):
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            if torch.rand((), generator=generator) < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                other = int(torch.randint(len(documents) - 1, (), generator=generator))
                other += other >= d
                j = int(torch.randint(len(documents[other]), (), generator=generator))
                pairs.append((doc[i], documents[other][j], 1))
    return pairs


def nsp_candidates_list(documents, *, generator=None):
    """Draws the other document from an explicit list, the coin with randint."""
    pairs = []
    for d, doc in enumerate(documents):
        others = [k for k in range(len(documents)) if k != d]
        for i in range(len(doc) - 1):
            if int(torch.randint(0, 2, (1,), generator=generator)) == 1:
                pairs.append((list(doc[i]), list(doc[i + 1]), 0))
            else:
                o = others[int(torch.randint(len(others), (1,), generator=generator))]
                j = int(torch.randint(len(documents[o]), (1,), generator=generator))
                pairs.append((list(doc[i]), list(documents[o][j]), 1))
    return pairs


def nsp_tensors(documents, *, generator=None):
    """Returns sentences as tensors and labels as 0-d tensors; rejection-samples the document."""
    pairs = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - 1):
            is_next = torch.rand(1, generator=generator).item() >= 0.5
            if is_next:
                pairs.append((torch.tensor(doc[i]), torch.tensor(doc[i + 1]), torch.tensor(0)))
                continue
            o = d
            while o == d:
                o = int(torch.randint(len(documents), (1,), generator=generator))
            j = int(torch.randint(len(documents[o]), (1,), generator=generator))
            pairs.append((torch.tensor(doc[i]), torch.tensor(documents[o][j]), torch.tensor(1)))
    return pairs


# =========================================================================== NSPHead


class HeadIndex(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.pooler = nn.Linear(d_model, d_model)
        self.classifier = nn.Linear(d_model, 2)

    def forward(self, hidden):
        return self.classifier(torch.tanh(self.pooler(hidden[:, 0])))


class HeadFunctional(HeadIndex):
    def forward(self, hidden):
        cls = hidden.select(1, 0)  # (B, E)
        pooled = F.linear(cls, self.pooler.weight, self.pooler.bias).tanh()
        return pooled @ self.classifier.weight.T + self.classifier.bias


class HeadAllPositions(HeadIndex):
    """Pools every position, then keeps position 0."""

    def forward(self, hidden):
        return self.classifier(torch.tanh(self.pooler(hidden)))[:, 0, :]


# =========================================================================== losses


def pretrain_flat(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    v = mlm_logits.shape[-1]
    return F.cross_entropy(mlm_logits.reshape(-1, v), mlm_labels.reshape(-1)) + F.cross_entropy(nsp_logits, nsp_labels)


def pretrain_selected(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    keep = mlm_labels != -100
    mlm = F.cross_entropy(mlm_logits[keep], mlm_labels[keep])
    nsp = -F.log_softmax(nsp_logits, -1).gather(1, nsp_labels[:, None]).mean()
    return mlm + nsp


def pretrain_transposed(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    mlm = F.cross_entropy(mlm_logits.transpose(1, 2), mlm_labels)
    return mlm + F.nll_loss(F.log_softmax(nsp_logits, dim=1), nsp_labels)


def tag_flat(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def tag_selected(logits, labels):
    keep = labels != -100
    return F.cross_entropy(logits[keep], labels[keep])


def tag_manual(logits, labels):
    logp = logits.log_softmax(-1)  # (B, T, C)
    keep = labels != -100
    picked = logp.gather(-1, labels.clamp(min=0)[..., None]).squeeze(-1)  # (B, T)
    return -(picked * keep).sum() / keep.sum()


def qa_plain(start_logits, end_logits, start_positions, end_positions):
    return (F.cross_entropy(start_logits, start_positions) + F.cross_entropy(end_logits, end_positions)) / 2


def qa_stacked(start_logits, end_logits, start_positions, end_positions):
    logits = torch.stack([start_logits, end_logits], dim=1)  # (B, 2, T)
    targets = torch.stack([start_positions, end_positions], dim=1)  # (B, 2)
    return F.cross_entropy(logits.transpose(1, 2), targets)


def qa_manual(start_logits, end_logits, start_positions, end_positions):
    s = -start_logits.log_softmax(1)[torch.arange(len(start_positions)), start_positions]
    e = -end_logits.log_softmax(1)[torch.arange(len(end_positions)), end_positions]
    return 0.5 * (s.mean() + e.mean())


# =========================================================================== best_span


def span_table(start_logits, end_logits, context_mask, max_answer_len):
    t = start_logits.shape[1]
    scores = start_logits[:, :, None] + end_logits[:, None, :]  # (B, T, T)
    band = torch.ones(t, t, dtype=torch.bool).triu().tril(max_answer_len - 1)
    valid = band & context_mask[:, :, None] & context_mask[:, None, :]
    best = torch.where(valid, scores, torch.full_like(scores, -1e30)).flatten(1).argmax(1)
    return best // t, best % t


def span_loops(start_logits, end_logits, context_mask, max_answer_len):
    starts, ends = [], []
    for b in range(start_logits.shape[0]):
        best = None
        positions = [i for i in range(start_logits.shape[1]) if context_mask[b, i]]
        for i in positions:
            for j in positions:
                if i <= j < i + max_answer_len:
                    score = float(start_logits[b, i] + end_logits[b, j])
                    if best is None or score > best[0]:
                        best = (score, i, j)
        starts.append(best[1])
        ends.append(best[2])
    return torch.tensor(starts), torch.tensor(ends)


def span_probabilities(start_logits, end_logits, context_mask, max_answer_len):
    """Products of probabilities, masked before the softmax; torch.topk on the flat table."""
    p_start = start_logits.masked_fill(~context_mask, float("-inf")).softmax(-1)
    p_end = end_logits.masked_fill(~context_mask, float("-inf")).softmax(-1)
    prob = p_start[:, :, None] * p_end[:, None, :]  # (B, T, T)
    t = prob.shape[-1]
    i, j = torch.meshgrid(torch.arange(t), torch.arange(t), indexing="ij")
    prob = prob * ((j >= i) & (j - i + 1 <= max_answer_len))
    best = prob.flatten(1).topk(1, dim=1).indices[:, 0]
    return torch.div(best, t, rounding_mode="floor"), best % t


# =========================================================================== last_four_layers


def feats_loop(encoder, x, mask=None, combine="concat"):
    states = []
    for layer in encoder.layers:
        x = layer(x, mask)
        states.append(x)
    last = states[-4:]
    return torch.cat(last, dim=-1) if combine == "concat" else sum(last)


def feats_window(encoder, x, mask=None, combine="concat"):
    """Keeps only a running window of four states."""
    window = []
    for layer in encoder.layers:
        x = layer(x, mask)
        window = (window + [x])[-4:]
    if combine == "sum":
        return torch.stack(window, dim=0).sum(0)
    return torch.stack(window, dim=2).flatten(2)  # (B, T, 4, E) -> (B, T, 4E)


def feats_hidden_tuple(encoder, x, mask=None, combine="concat"):
    """Hugging Face style: the embeddings first, then every layer; the last four are [-4:]."""
    hidden_states = (x,)
    for layer in encoder.layers:
        hidden_states += (layer(hidden_states[-1], mask),)
    if combine == "concat":
        return torch.cat(hidden_states[-4:], -1)
    out = torch.zeros_like(x)
    for h in hidden_states[-4:]:
        out = out + h
    return out


BANK: dict[str, list] = {
    "pair_inputs": [pair_lists, pair_counts, pair_recursive],
    "make_nsp_pairs": [nsp_loop, nsp_candidates_list, nsp_tensors],
    "NSPHead": [HeadIndex, HeadFunctional, HeadAllPositions],
    "pretraining_loss": [pretrain_flat, pretrain_selected, pretrain_transposed],
    "token_tagging_loss": [tag_flat, tag_selected, tag_manual],
    "qa_loss": [qa_plain, qa_stacked, qa_manual],
    "best_span": [span_table, span_loops, span_probabilities],
    "last_four_layers": [feats_loop, feats_window, feats_hidden_tuple],
    "max_input_tokens": [512, 512.0, torch.tensor(512)],
    "concat_feature_size": [3072, 4 * 768, 3072.0],
    "pair_scoring_cost": [49_995_000, 10_000 * 9_999 // 2, 10_000 * 9_999 / 2],
    "finetune_recipe": ["b", "B", " b "],
    "little_data": ["c", "C"],
    "features_or_finetune": ["a", "A "],
    "task_types": ["b", " B"],
}

QUESTIONS = ("max_input_tokens", "concat_feature_size", "pair_scoring_cost", "finetune_recipe", "little_data",
             "features_or_finetune", "task_types")
FLOAT_EXERCISES = ("NSPHead", "pretraining_loss", "token_tagging_loss", "qa_loss", "last_four_layers")


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """The worst error of ``candidates`` (float32) against the reference (float64)."""
    return shared.measure_errors(xid(name), candidates, seeds)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    for name in FLOAT_EXERCISES:
        print(name, measure_errors(name, BANK[name], range(n)))
