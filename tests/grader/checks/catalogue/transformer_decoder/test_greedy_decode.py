"""greedy_decode: a bank of correct decoders (row by row, through model(...), a
pre-allocated buffer, the catalogue's loop with every switch right) passes; the
stand-in model behaves like a decoder; the cases separate the stopping rules."""

from __future__ import annotations

import pytest
import torch

from grader.checks.catalogue.transformer_decoder.greedy_decode import _greedy
from grader.checks.engine import cases_for
from grader.checks.registry import get
from grader.labkit.exercises.transformer_decoder.greedy_decode import ScriptedTranslator

from ._common import assert_passes, exercise_id, modes, name_of

NAME = "greedy_decode"


def greedy_rows(model, src_ids, max_len, bos_id=5, eos_id=6, pad_id=0):
    """One row at a time, Python lists, padded to the longest row at the end."""
    was_training = model.training
    model.eval()
    rows = []
    with torch.no_grad():
        for src in src_ids:
            src = src[None]
            mask = src != pad_id
            memory = model.encode(src, mask)
            out = [bos_id]
            while len(out) < max_len:
                logits = model.decode(torch.tensor([out]), memory, mask)
                out.append(int(logits[0, -1].argmax()))
                if out[-1] == eos_id:
                    break
            rows.append(out)
    model.train(was_training)
    length = max(len(r) for r in rows)
    return torch.tensor([r + [pad_id] * (length - len(r)) for r in rows])


def greedy_forward_calls(model, src_ids, max_len, bos_id=5, eos_id=6, pad_id=0):
    """Calls model(src, prefix) each step (re-encoding), softmax before the argmax."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            ys = torch.full((src_ids.size(0), 1), bos_id)
            done = torch.zeros(src_ids.size(0), dtype=torch.bool)
            for _ in range(max_len - 1):
                probs = model(src_ids, ys, src_ids != pad_id).softmax(-1)
                nxt = torch.where(done, torch.full_like(done, pad_id, dtype=torch.long),
                                  probs[:, -1, :].argmax(-1))
                ys = torch.cat([ys, nxt.unsqueeze(1)], dim=1)
                done |= nxt == eos_id
                if done.all():
                    break
    finally:
        model.train(was_training)
    return ys.clone()


def greedy_preallocated(model, src_ids, max_len, bos_id=5, eos_id=6, pad_id=0):
    """A pre-allocated (B, max_len) buffer filled with pad_id, trimmed at the end."""
    mode = model.training
    model.train(False)
    src_mask = src_ids.ne(pad_id)
    with torch.no_grad():
        memory = model.encode(src_ids, src_mask)
        out = torch.full((src_ids.size(0), max_len), pad_id, dtype=torch.long)
        out[:, 0] = bos_id
        alive = torch.ones(src_ids.size(0), dtype=torch.bool)
        length = 1
        while length < max_len and alive.any():
            nxt = model.decode(out[:, :length], memory, src_mask)[:, -1].argmax(-1)
            out[alive, length] = nxt[alive]
            alive &= nxt != eos_id
            length += 1
    model.train(mode)
    return out[:, :length]


def greedy_catalogue_base(model, src_ids, max_len, bos_id=5, eos_id=6, pad_id=0):
    """The catalogue's switchable loop with every switch in its right position."""
    return _greedy(model, src_ids, max_len, bos_id, eos_id, pad_id)


BANK = [greedy_catalogue_base, greedy_rows, greedy_forward_calls, greedy_preallocated]


@pytest.mark.parametrize("candidate", BANK, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct decoder in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def _translator(seed=0, eos_id=6, pad_id=0, v=35):
    gen = torch.Generator().manual_seed(seed)
    table = torch.randint(15, v, (v, v), generator=gen)
    return ScriptedTranslator(table, torch.randint(15, v, (v, v), generator=gen), eos_id, pad_id)


def test_scripted_translator_behaves_like_a_decoder():
    """The stand-in model is causal (position i ignores later target tokens), reads the
    source through the padding mask, ends with </s> after the last real source word, and
    predicts differently in training mode."""
    model = _translator().eval()
    src = torch.tensor([[20, 21, 22, 0], [23, 24, 0, 0]])
    mask = src != 0
    memory = model.encode(src, mask)
    tgt = torch.tensor([[5, 30, 31, 32, 6], [5, 33, 34, 6, 0]])
    logits = model.decode(tgt, memory, mask)
    changed = tgt.clone()
    changed[:, 3:] = 17
    assert torch.equal(model.decode(changed, memory, mask)[:, :3], logits[:, :3])
    assert logits[0, 3].argmax() == 6 and logits[1, 2].argmax() == 6
    assert not torch.equal(model.decode(tgt, memory, None)[1], logits[1])
    assert not torch.equal(model.train().decode(tgt, memory, mask), logits)
    assert torch.equal(model.eval()(src, tgt), logits)


def test_scripted_translator_rejects_malformed_calls():
    """Wrong masks, memory or ids raise a ValueError that says what was expected."""
    model = _translator()
    src = torch.tensor([[20, 21, 0]])
    memory = model.encode(src)
    with pytest.raises(ValueError, match="bool padding mask"):
        model.decode(torch.tensor([[5]]), memory, (src != 0)[:, None, None, :])
    with pytest.raises(ValueError, match="memory from model.encode"):
        model.decode(torch.tensor([[5]]), torch.zeros(1, 3, 8))
    with pytest.raises(ValueError, match="integer ids"):
        model.decode(torch.tensor([5.0]), memory)


def test_greedy_cases_separate_the_stopping_rules():
    """In the first case every row ends before max_len, at steps at least two apart for
    the shortest and longest; the second has a row that cannot finish; the third passes
    other special ids; the fourth has max_len=1. So each stopping mistake shows as itself.
    The fifth, appended later, counts the calls made while autograd records."""
    ex = get(exercise_id(NAME))
    for hidden, seed in modes():
        first, second, third, last, probe = cases_for(ex, hidden=hidden, seed=seed)
        assert probe.args["probe_grad"] and not first.args["probe_grad"]
        lengths = (first.inputs["src_ids"] != 0).sum(1)
        assert int(lengths.max()) + 2 < first.args["max_len"]
        assert int(lengths.min()) <= int(lengths.max()) - 2 and int(lengths.argmin()) == 1
        assert int((second.inputs["src_ids"] != 0).sum(1).max()) >= second.args["max_len"] - 1
        ids = third.args["ids"]
        assert ids["bos_id"] != 5 and ids["eos_id"] != 6 and len(set(ids.values())) == 3
        assert last.args["max_len"] == 1


def test_scripted_model_counts_the_calls_that_record_gradients():
    """The probe behind ``builds_graph``: encode and decode count the calls made while
    autograd is on, and none under torch.no_grad()."""
    table = torch.randint(15, 20, (20, 20))
    model = ScriptedTranslator(table, table, eos_id=6, pad_id=0)
    src = torch.tensor([[16, 17]])
    with torch.no_grad():
        model.decode(torch.tensor([[5]]), model.encode(src))
    assert model.grad_calls == 0
    model.decode(torch.tensor([[5]]), model.encode(src))
    assert model.grad_calls == 2
