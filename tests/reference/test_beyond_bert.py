"""reference.beyond_bert: span and whole-word masking, ELECTRA's inputs and loss, the
prefix LM's mask and loss, the distillation loss; against peers where one exists
(torch's ``F.kl_div``, Hugging Face's ``ElectraForPreTraining`` loss, lesson 07's causal
LM loss)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from reference.beyond_bert import (
    discriminator_inputs,
    distillation_loss,
    electra_loss,
    prefix_lm_loss,
    prefix_lm_mask,
    span_lengths,
    span_masking,
    whole_word_masking,
)
from reference.beyond_bert.span_masking import span_length_probs
from reference.objectives import causal_lm_loss
from reference.tokenizer import CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_IDS

VOCAB = 60


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(b: int = 6, t: int = 50, seed: int = 0) -> torch.Tensor:
    g = _gen(seed)
    ids = torch.randint(len(SPECIAL_IDS), VOCAB, (b, t), generator=g)
    ids[:, 0], ids[:, -1] = CLS_ID, SEP_ID
    if t > 12:
        ids[1, t - 10:] = PAD_ID
        ids[1, t - 11] = SEP_ID
    return ids


def _runs(selected: torch.Tensor) -> list[tuple[int, int]]:
    out, start = [], None
    for i, s in enumerate(selected.tolist() + [False]):
        if s and start is None:
            start = i
        elif not s and start is not None:
            out.append((start, i))
            start = None
    return out


def test_span_length_probs_is_the_clipped_geometric_with_mean_3_8():
    """P(l) = p (1-p)^(l-1) renormalised over 1..10: sums to 1, mean 3.8 as SpanBERT quotes."""
    probs = span_length_probs(0.2, 10)
    assert probs.shape == (10,) and math.isclose(float(probs.sum()), 1.0)
    mean = float((probs * torch.arange(1, 11)).sum())
    assert abs(mean - 3.8) < 0.01
    assert math.isclose(float(probs[1] / probs[0]), 0.8)


def test_span_lengths_are_seeded_and_in_range():
    """The same seed gives the same lengths; all lie in 1..max_len; the sample mean is ~3.8."""
    a = span_lengths(20000, generator=_gen(1))
    assert torch.equal(a, span_lengths(20000, generator=_gen(1)))
    assert a.dtype == torch.long and int(a.min()) == 1 and int(a.max()) == 10
    assert abs(float(a.float().mean()) - 3.8) < 0.1


def test_span_masking_budget_specials_and_labels():
    """Exactly ceil(0.15 n) ordinary tokens per row are selected, specials never; labels hold
    the original ids there and -100 elsewhere; unselected tokens never change."""
    ids = _batch()
    inputs, labels = span_masking(ids, mask_token_id=MASK_ID, vocab_size=VOCAB, special_ids=SPECIAL_IDS,
                                  generator=_gen(2))
    special = torch.isin(ids, torch.tensor(SPECIAL_IDS))
    selected = labels != -100
    for row in range(ids.shape[0]):
        assert int(selected[row].sum()) == math.ceil(0.15 * int((~special[row]).sum()))
    assert not (selected & special).any()
    assert torch.equal(labels[selected], ids[selected])
    assert torch.equal(inputs[~selected], ids[~selected])


def test_span_masking_replaces_whole_spans_alike_and_is_seeded():
    """Over many rows, selected runs are long (spans, not single tokens) and a run is all
    [MASK], all changed or all kept unless two spans touch; the same seed repeats."""
    ids = _batch(64, 120, seed=3)
    kw = dict(mask_token_id=MASK_ID, vocab_size=VOCAB, special_ids=SPECIAL_IDS, mask_ratio=0.1)
    inputs, labels = span_masking(ids, generator=_gen(4), **kw)
    again = span_masking(ids, generator=_gen(4), **kw)
    assert torch.equal(inputs, again[0]) and torch.equal(labels, again[1])
    lengths, mixed = [], 0
    for row in range(ids.shape[0]):
        for s, e in _runs((labels[row] != -100)):
            lengths.append(e - s)
            kinds = {("m" if int(y) == MASK_ID else "k" if int(y) == int(x) else "r")
                     for x, y in zip(ids[row, s:e], inputs[row, s:e], strict=True)}
            mixed += len(kinds) > 1 and not kinds <= {"k", "r"}
    assert sum(lengths) / len(lengths) > 2.5
    assert mixed / len(lengths) < 0.1


def test_whole_word_masking_selects_whole_words():
    """Every token of a word is selected together; specials (word id -1) never are; the word
    selection rate is about mlm_probability."""
    ids = _batch(64, 40, seed=5)
    word = torch.cumsum(torch.rand(ids.shape, generator=_gen(6)) < 0.6, dim=1) - 1
    word = torch.where(torch.isin(ids, torch.tensor(SPECIAL_IDS)), -1, word)
    inputs, labels = whole_word_masking(ids, word, mask_token_id=MASK_ID, vocab_size=VOCAB,
                                        special_ids=SPECIAL_IDS, generator=_gen(7))
    selected = labels != -100
    chosen, total = 0, 0
    for row in range(ids.shape[0]):
        for w in word[row].unique().tolist():
            if w < 0:
                continue
            picks = selected[row][word[row] == w]
            assert bool(picks.all()) or not bool(picks.any())
            chosen += bool(picks.any())
            total += 1
    assert not selected[word < 0].any()
    assert abs(chosen / total - 0.15) < 5 * math.sqrt(0.15 * 0.85 / total)
    assert torch.equal(inputs[~selected], ids[~selected])


def test_discriminator_inputs_sample_and_label():
    """Masked positions get samples from softmax(logits); a sample equal to the original is
    labelled 0; unmasked positions keep the original with label 0."""
    b, t, v = 8, 30, 5
    ids = torch.randint(0, v, (b, t), generator=_gen(8))
    labels = ids.masked_fill(torch.rand(b, t, generator=_gen(9)) > 0.5, -100)
    logits = torch.log(torch.tensor([0.5, 0.3, 0.1, 0.06, 0.04])).expand(b, t, v).contiguous()
    x, y = discriminator_inputs(ids, labels, logits, generator=_gen(10))
    masked = labels != -100
    assert torch.equal(x[~masked], ids[~masked]) and not y[~masked].any()
    assert torch.equal(y, (x != ids).long())
    big = torch.zeros(1, 20000, dtype=torch.long)
    x, _ = discriminator_inputs(big, big, logits[:1, :1].expand(1, 20000, v), generator=_gen(11))
    freq = torch.bincount(x[0], minlength=v).double() / 20000
    assert torch.allclose(freq, torch.tensor([0.5, 0.3, 0.1, 0.06, 0.04], dtype=torch.float64), atol=0.02)


def test_electra_loss_matches_hugging_face_discriminator_loss():
    """With no masked position (MLM loss 0) and disc_weight 1, electra_loss is the loss of
    Hugging Face's ElectraForPreTraining: BCE with logits over the real positions."""
    transformers = pytest.importorskip("transformers")
    config = transformers.ElectraConfig(vocab_size=30, embedding_size=8, hidden_size=8, num_hidden_layers=1,
                                        num_attention_heads=2, intermediate_size=16, max_position_embeddings=16)
    torch.manual_seed(0)
    model = transformers.ElectraForPreTraining(config).eval()
    ids = torch.randint(5, 30, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0
    replaced = torch.randint(0, 2, (3, 9))
    out = model(input_ids=ids, attention_mask=mask, labels=replaced)
    none_masked = torch.full((3, 9), -100)
    ours = electra_loss(torch.zeros(3, 9, 4), none_masked, out.logits, replaced, mask.bool(), disc_weight=1.0)
    assert torch.allclose(ours, out.loss, atol=1e-6)


def test_electra_loss_adds_weighted_parts():
    """L = MLM mean over masked positions + 50 * BCE mean over real positions."""
    g = _gen(12)
    gl, dl = torch.randn(2, 5, 7, generator=g), torch.randn(2, 5, generator=g)
    mlm_labels = torch.tensor([[3, -100, -100, 1, -100], [-100, 2, -100, -100, -100]])
    disc_labels = torch.tensor([[1, 0, 0, 1, 0], [0, 0, 0, 1, 1]])
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    mlm = F.cross_entropy(gl.reshape(-1, 7), mlm_labels.reshape(-1))
    bce = F.binary_cross_entropy_with_logits(dl[mask], disc_labels[mask].float())
    assert torch.allclose(electra_loss(gl, mlm_labels, dl, disc_labels, mask), mlm + 50 * bce)


def test_prefix_lm_mask_against_loops():
    """Query i sees key j when j is real and (j <= i or j < prefix length), checked entry
    by entry; shape (B, 1, T, T)."""
    ids = _batch(3, 7)
    ids[2, 5:] = PAD_ID
    lengths = torch.tensor([3, 1, 6])
    mask = prefix_lm_mask(ids, lengths)
    assert mask.shape == (3, 1, 7, 7) and mask.dtype == torch.bool
    for b in range(3):
        for i in range(7):
            for j in range(7):
                want = int(ids[b, j]) != PAD_ID and (j <= i or j < int(lengths[b]))
                assert bool(mask[b, 0, i, j]) == want


def test_prefix_lm_loss_with_prefix_of_one_is_the_causal_lm_loss():
    """A prefix of one token leaves every target to predict: lesson 07's causal LM loss."""
    g = _gen(13)
    ids = _batch(4, 9)
    logits = torch.randn(4, 9, VOCAB, generator=g)
    assert torch.allclose(prefix_lm_loss(logits, ids, torch.ones(4, dtype=torch.long)),
                          causal_lm_loss(logits, ids))


def test_prefix_lm_loss_counts_the_continuation_only():
    """Only targets at positions >= the prefix length (and not padding) count."""
    g = _gen(14)
    ids = _batch(2, 8)
    logits = torch.randn(2, 8, VOCAB, generator=g)
    lengths = torch.tensor([5, 3])
    nll = -F.log_softmax(logits, -1)[:, :-1].gather(2, ids[:, 1:, None]).squeeze(2)
    keep = [(b, j - 1) for b in range(2) for j in range(int(lengths[b]), 8) if int(ids[b, j]) != PAD_ID]
    want = torch.stack([nll[b, t] for b, t in keep]).mean()
    assert torch.allclose(prefix_lm_loss(logits, ids, lengths), want)


def test_distillation_loss_matches_the_kl_div_peer():
    """The soft part is F.kl_div(log_softmax(s/T), softmax(t/T), "batchmean") * T**2; the
    hard part is the cross-entropy at temperature 1; no gradient reaches the teacher."""
    g = _gen(15)
    s = torch.randn(6, 9, generator=g, requires_grad=True)
    t = torch.randn(6, 9, generator=g, requires_grad=True)
    y = torch.randint(9, (6,), generator=g)
    temp, alpha = 3.0, 0.7
    soft = F.kl_div(F.log_softmax(s / temp, -1), F.softmax(t / temp, -1), reduction="batchmean") * temp**2
    want = alpha * soft + (1 - alpha) * F.cross_entropy(s, y)
    got = distillation_loss(s, t, y, temperature=temp, alpha=alpha)
    assert torch.allclose(got, want)
    got.backward()
    assert t.grad is None and s.grad is not None


def test_bad_arguments_raise_value_errors():
    """Wrong shapes and values are rejected with a message naming what was expected."""
    with pytest.raises(ValueError, match="prefix_lengths"):
        prefix_lm_mask(_batch(2, 5), torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), temperature=0)
    with pytest.raises(ValueError, match="word_ids"):
        whole_word_masking(_batch(2, 5), torch.zeros(2, 4, dtype=torch.long), mask_token_id=MASK_ID,
                           vocab_size=VOCAB, special_ids=SPECIAL_IDS)
    with pytest.raises(ValueError, match="p to be"):
        span_lengths(3, p=0.0)
