"""Lesson 08's banks of correct alternatives, written as different students would
(each must pass, visible and hidden), and the measurement of the tolerances.

Run as a script (``python -m tests.grader.checks.catalogue.finetuning._bank [seeds]
[exercise ...]``) it measures the tolerances: the largest error of the bank of correct
float32 implementations against the float64 reference, over many seeds.
"""

from __future__ import annotations

import copy
import itertools
import re
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks.registry import get
from reference.embeddings import TransformerEmbedding
from reference.layers import Encoder
from reference.masks import expand_padding_mask, padding_mask
from reference.models import TransformerConfig
from reference.models.masked_lm import EncoderBody
from reference.tokenizer import PAD_ID

from .. import _shared as shared

LESSON = "08_finetuning"
HIDDEN_SEEDS = (3, 11)


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


def config(**kw) -> TransformerConfig:
    """A small classifier configuration (``num_labels`` 4, three encoder layers)."""
    sizes = dict(vocab_size=40, d_model=12, num_heads=3, d_ff=20, num_encoder_layers=3, max_len=16,
                 dropout=0.1, num_labels=4)
    return TransformerConfig(**(sizes | kw))


# =========================================================================== the bank
# Correct alternatives, written as different students would. Each must pass.


class _Body(nn.Module):
    """The provided part of the solution cell: the encoder body as in MaskedLM."""

    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__()
        self.embedding = TransformerEmbedding(vocab_size, d_model, max_len, dropout=dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, activation="gelu")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_labels)


class ClsIndexing(_Body):
    def forward(self, input_ids):
        mask = (input_ids != PAD_ID)[:, None, None, :]  # (B, 1, 1, T)
        hidden = self.encoder(self.embedding(input_ids), mask)
        return self.classifier(self.dropout(hidden[:, 0, :]))


class ClsSelect(_Body):
    def forward(self, input_ids):
        keys = padding_mask(input_ids, PAD_ID)
        x = self.embedding(input_ids)
        for layer in self.encoder.layers:  # the stack unrolled
            x = layer(x, expand_padding_mask(keys))
        cls = self.dropout(x.select(1, 0))
        return F.linear(cls, self.classifier.weight, self.classifier.bias)


class ClsNarrow(_Body):
    def forward(self, input_ids):
        mask = input_ids.ne(PAD_ID).unsqueeze(1).unsqueeze(2)
        hidden = self.encoder(self.embedding(input_ids), mask=mask)
        first = hidden.narrow(1, 0, 1).squeeze(1)  # (B, E)
        return self.classifier(self.dropout(first))


class ClsArange(_Body):
    def forward(self, input_ids):
        b = input_ids.shape[0]
        mask = expand_padding_mask(input_ids != PAD_ID)
        hidden = self.encoder(self.embedding(input_ids), mask)
        cls_positions = torch.zeros(b, dtype=torch.long)
        return self.classifier(self.dropout(hidden[torch.arange(b), cls_positions]))


class ClsFromEncoderBody(EncoderBody):
    """On the reference's EncoderBody (same sub-module names), its encode() doing the mask."""

    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__(TransformerConfig(vocab_size=vocab_size, d_model=d_model,
                                           num_heads=num_heads, d_ff=d_ff,
                                           num_encoder_layers=num_layers, max_len=max_len,
                                           dropout=dropout, num_labels=num_labels))
        self.head = nn.Sequential(nn.Dropout(dropout))
        self.classifier = nn.Linear(d_model, num_labels)

    def forward(self, input_ids):
        return self.classifier(self.head(self.encode(input_ids)[:, 0]))


def pool_reference_style(hidden, attention_mask):
    m = attention_mask.unsqueeze(-1).float().to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1)


def pool_einsum(hidden, attention_mask):
    m = attention_mask.to(hidden.dtype)
    return torch.einsum("bte,bt->be", hidden, m) / m.sum(1, keepdim=True)


def pool_masked_fill(hidden, attention_mask):
    summed = hidden.masked_fill(~attention_mask[..., None], 0.0).sum(dim=1)
    return summed / attention_mask.sum(dim=1, keepdim=True)


def pool_loop(hidden, attention_mask):
    rows = [hidden[b][attention_mask[b]].mean(dim=0) for b in range(hidden.shape[0])]
    return torch.stack(rows)


def pool_where(hidden, attention_mask):
    keep = attention_mask.unsqueeze(2)
    total = torch.where(keep, hidden, torch.zeros_like(hidden)).sum(1)
    return total / keep.sum(1).clamp(min=1)


def load_module_by_module(classifier, masked_lm):
    classifier.embedding.load_state_dict(masked_lm.embedding.state_dict())
    classifier.encoder.load_state_dict(masked_lm.encoder.state_dict())


def load_copy_by_name(classifier, masked_lm):
    source = dict(masked_lm.named_parameters())
    with torch.no_grad():
        for name, p in classifier.named_parameters():
            if name.startswith(("embedding.", "encoder.")):
                p.copy_(source[name])


def load_filtered_state_dict(classifier, masked_lm):
    body = {k: v for k, v in masked_lm.state_dict().items() if not k.startswith("mlm_head.")}
    missing, unexpected = classifier.load_state_dict(body, strict=False)
    assert not unexpected and all(k.startswith("classifier.") for k in missing)


def load_whole_state_dict_not_strict(classifier, masked_lm):
    """Correct here: the body's keys match, the two heads' keys are simply skipped."""
    classifier.load_state_dict(masked_lm.state_dict(), strict=False)


def load_deepcopy(classifier, masked_lm):
    classifier.embedding = copy.deepcopy(masked_lm.embedding)
    classifier.encoder = copy.deepcopy(masked_lm.encoder)


def load_zip_body(classifier, masked_lm):
    with torch.no_grad():
        for mine, theirs in ((classifier.embedding, masked_lm.embedding),
                             (classifier.encoder, masked_lm.encoder)):
            for p, q in zip(mine.parameters(), theirs.parameters(), strict=True):
                p.data.copy_(q.data)


def freeze_reference_style(model, num_layers):
    model.embedding.requires_grad_(num_layers == 0)
    for i, layer in enumerate(model.encoder.layers):
        layer.requires_grad_(i >= num_layers)


def freeze_unfreeze_then_freeze(model, num_layers):
    model.requires_grad_(True)
    if num_layers > 0:
        model.embedding.requires_grad_(False)
        model.encoder.layers[:num_layers].requires_grad_(False)


def freeze_by_name(model, num_layers):
    for name, p in model.named_parameters():
        m = re.match(r"encoder\.layers\.(\d+)\.", name)
        if name.startswith("embedding."):
            p.requires_grad = num_layers == 0
        elif m:
            p.requires_grad = int(m.group(1)) >= num_layers


def freeze_chain(model, num_layers):
    for p in model.parameters():
        p.requires_grad_(True)
    frozen = [model.embedding, *model.encoder.layers[:num_layers]] if num_layers else []
    for p in itertools.chain.from_iterable(m.parameters() for m in frozen):
        p.requires_grad_(False)


def freeze_returns_model(model, num_layers):
    """Returning the model as well is harmless."""
    for p in model.embedding.parameters():
        p.requires_grad = not num_layers
    for i, layer in enumerate(model.encoder.layers):
        for p in layer.parameters():
            p.requires_grad = i >= num_layers
    return model


BANK = {
    "CLSClassifier": [ClsIndexing, ClsSelect, ClsNarrow, ClsArange, ClsFromEncoderBody],
    "masked_mean_pool": [pool_reference_style, pool_einsum, pool_masked_fill, pool_loop, pool_where],
    "load_pretrained_encoder": [load_module_by_module, load_copy_by_name, load_filtered_state_dict,
                                load_whole_state_dict_not_strict, load_deepcopy, load_zip_body],
    "freeze_layers": [freeze_reference_style, freeze_unfreeze_then_freeze, freeze_by_name,
                      freeze_chain, freeze_returns_model],
    "pooled_shape": [(8, 768), [8, 768], torch.Size([8, 768])],
    "why_cls": ["b", "B", " b "],
    "two_stages": ["c", "C"],
}
QUESTIONS = ("pooled_shape", "why_cls", "two_stages")


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """Max abs error (outputs, gradients: the parameters' "grads" too) and the worst
    fraction of the tolerance used, of ``candidates`` run in float32 against the float64
    reference."""
    return shared.measure_errors(xid(name), candidates, seeds, gradient_keys=("grads",))


FLOAT_EXERCISES = ("CLSClassifier", "masked_mean_pool", "load_pretrained_encoder", "freeze_layers")


if __name__ == "__main__":
    # python -m tests.grader.checks.catalogue.finetuning._bank [seeds] [exercise ...]
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    torch.set_num_threads(1)
    for exercise in sys.argv[2:] or FLOAT_EXERCISES:
        print(exercise, get(xid(exercise)).harness.tolerance, measure_errors(exercise, BANK[exercise], range(n)),
              flush=True)
