"""Lesson 05's references and mistake catalogue (trusted; never shipped).

``mask_tokens`` is randomised: the grader runs these wrong implementations like any
other candidate, but its harness recognises each mistake by the properties of the
outputs (labels, special tokens, seeded determinism, large-sample statistics), so a
student's version of the same mistake is named whatever random numbers it drew.
``mlm_loss`` and ``MLMHead`` mistakes are recognised by their outputs, as usual.
Hints of ``mask_tokens`` mistakes live with its harness (they are shown in the
student's kernel too) and are reused here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from grader.labkit.exercises.masked_lm import MASK_TOKENS_HINTS
from reference.mlm import mask_tokens, mlm_loss
from reference.models import MaskedLMHead, TransformerConfig

from . import Entry, mistake

ID = "05_masked_lm"


# --- mask_tokens ---------------------------------------------------------------
def _words(vocab_size: int, special_ids) -> torch.Tensor:
    keep = torch.ones(vocab_size, dtype=torch.bool)
    keep[list(special_ids)] = False
    return keep.nonzero().squeeze(1)  # (N,) the non-special ids


def _masking(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
             mask_replace_prob=0.8, random_replace_prob=0.1, generator=None,
             skip_specials=True, random_pool=None, global_rng=False, label_what="original",
             split="one_draw", selection=None):
    """A configurable BERT masking; each mistake below turns one switch.

    ``selection``: a (B, T) bool tensor chosen by the caller instead of a Bernoulli draw.
    """
    gen = None if global_rng else generator
    ids = input_ids.clone()
    special = torch.isin(ids, torch.tensor(list(special_ids)))
    if selection is None:
        selection = torch.rand(ids.shape, generator=gen) < mlm_probability
    selected = selection & ~special if skip_specials else selection
    if split == "one_draw":
        u = torch.rand(ids.shape, generator=gen)
        to_mask = selected & (u < mask_replace_prob)
        to_random = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    elif split == "all_mask":
        to_mask, to_random = selected, torch.zeros_like(selected)
    elif split == "no_keep":
        u = torch.rand(ids.shape, generator=gen)
        to_mask = selected & (u < mask_replace_prob)
        to_random = selected & ~to_mask
    elif split == "overlap":  # HF-style, but 10% of the rest instead of 10 / 20
        to_mask = selected & (torch.rand(ids.shape, generator=gen) < mask_replace_prob)
        to_random = selected & ~to_mask & (torch.rand(ids.shape, generator=gen) < random_replace_prob)
    else:
        raise ValueError(split)
    pool = _words(vocab_size, special_ids) if random_pool is None else random_pool
    random_ids = pool[torch.randint(len(pool), ids.shape, generator=gen)]
    inputs = torch.where(to_random, random_ids, ids.masked_fill(to_mask, mask_token_id))
    if label_what == "original":
        labels = ids.masked_fill(~selected, -100)
    elif label_what == "everywhere":
        labels = ids.clone()
    elif label_what == "corrupted":
        labels = inputs.masked_fill(~selected, -100)
    elif label_what == "inverted":
        labels = ids.masked_fill(selected, -100)
    elif label_what == "mask_only":
        labels = ids.masked_fill(~to_mask, -100)
    else:
        raise ValueError(label_what)
    return inputs, labels


def _hint(mid: str) -> str:
    return MASK_TOKENS_HINTS[mid]


@mistake("outputs_swapped", _hint("outputs_swapped"))
def mask_swapped(input_ids, **kw):
    inputs, labels = _masking(input_ids, **kw)
    return labels, inputs


@mistake("selects_special_tokens", _hint("selects_special_tokens"))
def mask_selects_specials(input_ids, **kw):
    return _masking(input_ids, **kw, skip_specials=False)


@mistake("random_from_full_vocab", _hint("random_from_full_vocab"))
def mask_random_full_vocab(input_ids, **kw):
    return _masking(input_ids, **kw, random_pool=torch.arange(kw["vocab_size"]))


@mistake("labels_not_ignored", _hint("labels_not_ignored"))
def mask_labels_everywhere(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="everywhere")


@mistake("labels_hold_mask_id", _hint("labels_hold_mask_id"))
def mask_labels_corrupted(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="corrupted")


@mistake("labels_inverted", _hint("labels_inverted"))
def mask_labels_inverted(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="inverted")


@mistake("labels_only_at_mask", _hint("labels_only_at_mask"))
def mask_labels_only_at_mask(input_ids, **kw):
    return _masking(input_ids, **kw, label_what="mask_only")


@mistake("mutates_input", _hint("mutates_input"))
def mask_in_place(input_ids, **kw):
    inputs, labels = _masking(input_ids, **kw)
    input_ids.copy_(inputs)  # writes the corruption into the caller's tensor
    return input_ids, labels


@mistake("ignores_generator", _hint("ignores_generator"))
def mask_global_rng(input_ids, **kw):
    return _masking(input_ids, **kw, global_rng=True)


@mistake("fixed_internal_seed", _hint("fixed_internal_seed"))
def mask_fixed_seed(input_ids, **kw):
    kw["generator"] = torch.Generator().manual_seed(1234)
    return _masking(input_ids, **kw)


@mistake("no_random_or_keep", _hint("no_random_or_keep"))
def mask_all_selected(input_ids, **kw):
    return _masking(input_ids, **kw, split="all_mask")


@mistake("no_kept_tokens", _hint("no_kept_tokens"))
def mask_no_keep(input_ids, **kw):
    return _masking(input_ids, **kw, split="no_keep")


@mistake("mask_and_random_overlap", _hint("mask_and_random_overlap"))
def mask_overlap(input_ids, **kw):
    return _masking(input_ids, **kw, split="overlap")


@mistake("selection_count_over_all_positions", _hint("selection_count_over_all_positions"))
def mask_count_over_all(input_ids, **kw):
    # k = round(p * B * T) tokens chosen among the eligible ones only.
    special = torch.isin(input_ids, torch.tensor(list(kw["special_ids"])))
    eligible = (~special).reshape(-1).nonzero().squeeze(1)
    k = min(len(eligible), round(kw["mlm_probability"] * input_ids.numel()))
    chosen = eligible[torch.randperm(len(eligible), generator=kw["generator"])[:k]]
    selection = torch.zeros(input_ids.numel(), dtype=torch.bool)
    selection[chosen] = True
    return _masking(input_ids, **kw, selection=selection.reshape(input_ids.shape))


@mistake("masks_15_percent_instead_of_selecting", _hint("masks_15_percent_instead_of_selecting"))
def mask_rate_as_mask_share(input_ids, **kw):
    # Bins [0, p) -> [MASK], then random and kept bins on top: 15% become [MASK].
    p, pm = kw["mlm_probability"], kw["mask_replace_prob"]
    selection = torch.rand(input_ids.shape, generator=kw["generator"]) < p / pm
    return _masking(input_ids, **kw, selection=selection)


@mistake("selection_inverted", _hint("selection_inverted"))
def mask_selection_inverted(input_ids, **kw):
    selection = torch.rand(input_ids.shape, generator=kw["generator"]) > kw["mlm_probability"]
    return _masking(input_ids, **kw, selection=selection)


@mistake("hardcoded_probabilities", _hint("hardcoded_probabilities"))
def mask_hardcoded(input_ids, **kw):
    kw.update(mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1)
    return _masking(input_ids, **kw)


MASK_TOKENS_MISTAKES = (
    mask_swapped, mask_selects_specials, mask_random_full_vocab, mask_labels_everywhere, mask_labels_corrupted,
    mask_labels_inverted, mask_labels_only_at_mask, mask_in_place, mask_global_rng, mask_fixed_seed,
    mask_all_selected, mask_no_keep, mask_overlap, mask_count_over_all, mask_rate_as_mask_share,
    mask_selection_inverted, mask_hardcoded,
)


# --- mlm_loss --------------------------------------------------------------------
@mistake("ignored_as_class_0", "positions labelled -100 must not contribute at all; turning "
         "-100 into class 0 (clamp, or masked_fill with 0) makes every unselected position a "
         "prediction of [PAD]. Use ignore_index=-100 (F.cross_entropy's default) or select the "
         "labelled positions first.")
def loss_ignored_as_class_0(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.clamp(min=0).reshape(-1))


@mistake("mean_over_all_positions", "average over the SELECTED positions only: dividing the sum "
         "by B * T dilutes the loss with the ~85% of positions that have no label.")
def loss_mean_over_all(logits, labels):
    v = logits.shape[-1]
    total = F.cross_entropy(logits.reshape(-1, v), labels.reshape(-1), reduction="sum")
    return total / labels.numel()


@mistake("sum_instead_of_mean", "the MLM loss is the MEAN over the selected positions, so that "
         "it does not grow with the batch size or the number of masks.")
def loss_sum(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.reshape(-1), reduction="sum")


@mistake("double_softmax", "F.cross_entropy applies log-softmax itself: pass it the raw logits, "
         "not softmax probabilities.")
def loss_double_softmax(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.softmax(-1).reshape(-1, v), labels.reshape(-1))


@mistake("nll_of_probabilities", "F.nll_loss expects LOG-probabilities: use F.log_softmax "
         "(or F.cross_entropy on the logits), not softmax.")
def loss_nll_of_probabilities(logits, labels):
    v = logits.shape[-1]
    return F.nll_loss(logits.softmax(-1).reshape(-1, v), labels.reshape(-1))


@mistake("mean_per_sequence", "average over all selected tokens of the batch at once: a mean "
         "per sentence and then over sentences weighs a token of a sentence with one mask more "
         "than a token of a sentence with many (and breaks on sentences with none).")
def loss_mean_per_sequence(logits, labels):
    nll = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, T), 0 at -100
    count = (labels != -100).sum(1)  # (B,)
    rows = count > 0
    return (nll.sum(1)[rows] / count[rows]).mean()


@mistake("mean_per_sequence", "average over all selected tokens of the batch at once: a mean "
         "per sentence and then over sentences weighs a token of a sentence with one mask more "
         "than a token of a sentence with many (and gives NaN for a sentence with none).")
def loss_mean_per_sequence_nan(logits, labels):
    nll = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, T)
    return (nll.sum(1) / (labels != -100).sum(1)).mean()


@mistake("logits_labels_misaligned", "flatten logits and labels the same way: logits (B, T, V) "
         "-> (B*T, V) with .reshape(-1, V), labels (B, T) -> (B*T,); transposing B and T on one "
         "side only pairs each prediction with another position's label.")
def loss_misaligned(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.transpose(0, 1).reshape(-1, v), labels.reshape(-1))


# --- MLMHead -----------------------------------------------------------------------
class MLMHeadReference(MaskedLMHead):
    """The reference head with the student's signature (untied projection, GELU)."""

    def __init__(self, d_model: int, vocab_size: int) -> None:
        config = TransformerConfig(vocab_size=vocab_size, d_model=d_model, num_heads=1,
                                   activation="gelu", tie_embeddings=False)
        super().__init__(config, embedding=None)  # type: ignore[arg-type]


class _Head(nn.Module):
    def __init__(self, d_model: int, vocab_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)


@mistake("relu_instead_of_gelu", "BERT's head uses GELU (F.gelu / nn.GELU()), not ReLU.")
class HeadRelu(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.relu(self.dense(h))))


@mistake("gelu_tanh_approximation", "use the exact GELU, F.gelu(x) (nn.GELU() with its default "
         "approximate='none'); the tanh approximation differs slightly.")
class HeadGeluTanh(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.gelu(self.dense(h), approximate="tanh")))


@mistake("norm_before_activation", "the order is dense -> GELU -> LayerNorm -> projection: "
         "normalise after the activation.")
class HeadNormFirst(_Head):
    def forward(self, h):
        return self.proj(F.gelu(self.norm(self.dense(h))))


@mistake("activation_missing", "apply GELU between dense and LayerNorm: without it dense and "
         "proj collapse into one linear map.")
class HeadNoActivation(_Head):
    def forward(self, h):
        return self.proj(self.norm(self.dense(h)))


@mistake("norm_not_applied", "apply the LayerNorm (self.norm) after the activation, before "
         "the projection.")
class HeadNoNorm(_Head):
    def forward(self, h):
        return self.proj(F.gelu(self.dense(h)))


@mistake("dense_skipped", "start with the dense layer d_model -> d_model (self.dense), then "
         "GELU and LayerNorm.")
class HeadNoDense(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.gelu(h)))


# --- conceptual questions ----------------------------------------------------------
QUESTIONS = [
    Entry(f"{ID}/mask_fraction", 0.12, (
        mistake("mask_share_is_selection", "15% are selected, but only 80% of those become "
                "[MASK]: multiply the two.")(0.15),
        mistake("percent_not_fraction", "give a fraction between 0 and 1 (12% is 0.12).")(12),
        mistake("share_of_selected", "0.8 is the share of the SELECTED tokens; the question asks "
                "about all eligible tokens (15% of them are selected).")(0.8),
    ), points=1),
    Entry(f"{ID}/loss_positions", 3, (
        mistake("counted_special_tokens", "[CLS] and [SEP] are special: they are never selected, "
                "so only the 20 words can be.")(0.15 * 22),
        mistake("only_mask_positions", "random-replaced and kept tokens are selected too and "
                "carry labels: all 15% of the words count, not only the 12% that became "
                "[MASK].")(0.12 * 20),
        mistake("all_positions", "the loss covers the selected positions only (labels -100 "
                "elsewhere), about 15% of the words.")(22),
        mistake("all_words", "the loss covers the selected positions only (labels -100 "
                "elsewhere), about 15% of the words.")(20),
    ), points=1),
    Entry(f"{ID}/why_keep", "b", (
        mistake("thinks_speed", "keeping tokens does not save computation: every position is "
                "encoded anyway. Think of what the model sees at fine-tuning time.")("a"),
        mistake("thinks_error_detection", "that is ELECTRA's replaced token detection; BERT "
                "still predicts the original token at every selected position.")("c"),
        mistake("thinks_fewer_terms", "kept tokens are selected and DO contribute to the loss. "
                "Think of the input the model sees after pre-training.")("d"),
    ), points=1),
]
# Sanity: the numeric answers and their catalogued wrong values are what the questions say.
assert math.isclose(0.15 * 0.8, 0.12) and math.isclose(0.15 * 20, 3)


ENTRIES = [
    Entry(f"{ID}/mask_tokens", mask_tokens, MASK_TOKENS_MISTAKES, points=4),
    Entry(f"{ID}/mlm_loss", mlm_loss, (
        loss_ignored_as_class_0, loss_mean_over_all, loss_sum, loss_double_softmax,
        loss_nll_of_probabilities, loss_mean_per_sequence, loss_mean_per_sequence_nan,
        loss_misaligned), points=2),
    Entry(f"{ID}/MLMHead", MLMHeadReference, (
        HeadRelu, HeadGeluTanh, HeadNormFirst, HeadNoActivation, HeadNoNorm, HeadNoDense), points=2),
    *QUESTIONS,
]
