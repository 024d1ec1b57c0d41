"""Lesson 11's four short questions: the right answers and the catalogued wrong ones."""

from __future__ import annotations

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/electra_every_position", "c", (
        _answer("thinks_more_masks", "ELECTRA masks about as many tokens as BERT (15%); what changes "
                "is what the loss looks at.", "a"),
        _answer("thinks_generator_learns", "the generator is a masked LM and learns from the masked "
                "positions only; the question is about the discriminator.", "b"),
        _answer("thinks_adversarial", "ELECTRA's generator is trained by maximum likelihood, not to "
                "fool the discriminator (sampling is not differentiable); that is not why every "
                "position teaches.", "d"),
    ), points=1),
    Entry(f"{ID}/prefix_sees", "b", (
        _answer("thinks_causal_prefix", "a prefix token is not limited to its left: the prefix is "
                "read in both directions, as an encoder reads its input.", "a"),
        _answer("thinks_prefix_sees_continuation", "the prefix never sees the continuation: the "
                "continuation is what the model generates, so it cannot be an input to the prefix.", "c"),
        _answer("thinks_prefix_is_predicted", "the prefix is given and not predicted: the loss "
                "counts the continuation only.", "d"),
    ), points=1),
    Entry(f"{ID}/why_t_squared", "a", (
        _answer("thinks_normalisation", "the softened distributions already sum to 1; the factor "
                "is about the size of the gradients, which dividing the logits by T shrinks.", "b"),
        _answer("thinks_sharpening", "multiplying the loss does not change the distributions: it "
                "scales the soft loss's gradients back up, by the T^2 that softening took away.", "c"),
        _answer("thinks_kl_convention", "KL divergence has no such convention; the factor comes from "
                "the gradient of the softened loss, which scales as 1 / T^2.", "d"),
    ), points=1),
    Entry(f"{ID}/cheaper_bert", "d", (
        _answer("thinks_larger_batch", "a larger batch raises throughput on a busy server, not the "
                "cost of one prediction: each sentence still runs through every layer of BERT.", "a"),
        _answer("thinks_fine_tuning_longer", "fine-tuning longer changes the weights, not the size "
                "of the model: it runs just as slowly.", "b"),
        _answer("thinks_more_layers", "more layers cost more at run time, not less.", "c"),
    ), points=1),
]
