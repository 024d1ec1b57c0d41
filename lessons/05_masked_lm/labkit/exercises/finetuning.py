"""Harnesses for lesson 08, fine-tuning a pre-trained encoder (book ch. 1, "Applying a
Pre-trained Encoder to Downstream Tasks" and "BERT as an Illustrative Example of
Pre-training and Application"; Devlin et al. 2019, sec. 3.2 and 4.1).

Exercises, in notebook order: ``CLSClassifier`` (a sentence classifier reading the
encoder's hidden state at position 0, ``[CLS]``), ``masked_mean_pool`` (the pooled
alternative: the mean over real tokens), ``load_pretrained_encoder`` (copy a masked
LM's embedding and encoder into the classifier), ``freeze_layers`` (freeze the
embedding and the first n encoder layers) and three short questions.

``CLSClassifier`` is a class exercise: it is built with the reference's constructor
arguments and gets the case's weights by name, in eval mode (dropout off). Its cases
have padding in the middle of the batch (row 1 is the shortest sentence), B != T
(so indexing the batch instead of the position shows as a shape), several heads and
a number of labels different from every other size.

``load_pretrained_encoder`` and ``freeze_layers`` act on models, not tensors. Their
harnesses build small stand-ins with the classifier's layout (``embedding.token``,
``encoder.layers[i]``, ``encoder.norm = None``, ``dropout``, ``classifier``; the masked
LM has ``mlm_head.dense / norm / proj`` with ``proj`` tied to the token embedding),
with torch only, so that the student's kernel needs nothing but this package. What is
recorded is plain data that depends on the seed: the weights after the call, which
parameters require gradients, the gradients of a backward pass, and a few facts
that only serve to name a mistake (modules switched to eval mode, a ``requires_grad``
attribute set on a module).

Tolerances were measured by ``tests/grader/test_finetuning.py``
(``python -m tests.grader.test_finetuning 100``): the largest error of a bank of
correct float32 implementations against the float64 reference over 100 seeds,
visible and hidden cases, outputs and gradients; each is about ten times that
figure (quoted beside it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict, compare
from ..harness import Case, Harness, ModuleHarness
from . import register

LESSON = "08_finetuning"
PAD_ID, CLS_ID, SEP_ID = 0, 2, 3
#: Ids 0..14 are special in the course tokenizer; words start here.
FIRST_WORD = 15


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def _pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def _sentences(gen: torch.Generator, b: int, t: int, vocab: int) -> torch.Tensor:
    """``(B, T)`` rows ``[CLS] w ... w [SEP] [PAD] ...``: row 0 fills the width, row 1
    (in the middle of the batch) is the shortest, ``[CLS] w [SEP]``."""
    lengths = torch.randint(3, t + 1, (b,), generator=gen)
    lengths[0], lengths[1] = t, 3
    words = torch.randint(FIRST_WORD, vocab, (b, t), generator=gen)
    ids = torch.full((b, t), PAD_ID, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = words[row, :n]
        ids[row, 0], ids[row, n - 1] = CLS_ID, SEP_ID
    return ids


def _names(names: list[str], n: int = 3) -> str:
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def _error_verdict(got: Mapping[str, Any], context: str, mistakes: list[Mistake],
                   patterns: tuple[tuple[str, str], ...] = ()) -> Verdict:
    """The verdict on a candidate that raised: named when a catalogued mistake raised
    the very same error on this case, or when the message matches a known pattern."""
    err = str(got[ERROR_KEY])
    if err.startswith("NotImplementedError"):
        return Verdict(False, f"FAILED (error) {context}\nyour code raised {err}", "not_implemented",
                       "error")
    found = next((m for m in mistakes if m.outputs.get(ERROR_KEY) == err), None)
    if found is None:
        mid = next((mid for pattern, mid in patterns if re.search(pattern, err, re.S)), None)
        found = next((m for m in mistakes if m.id == mid), None)
    lines = [f"FAILED (error) {context}", f"your code raised {err}"]
    if found is not None:
        lines.append(f"Hint: {found.hint}")
    return Verdict(False, "\n".join(lines), found.id if found else None, "error")


# =========================================================================== CLSClassifier


def _linear(gen: torch.Generator, prefix: str, fan_in: int, fan_out: int) -> dict[str, torch.Tensor]:
    return {f"param:{prefix}.weight": _randn(gen, fan_out, fan_in, scale=fan_in ** -0.5),
            f"param:{prefix}.bias": _randn(gen, fan_out, scale=0.2)}


def _norm(gen: torch.Generator, prefix: str, e: int) -> dict[str, torch.Tensor]:
    return {f"param:{prefix}.weight": 1 + _randn(gen, e, scale=0.2),
            f"param:{prefix}.bias": _randn(gen, e, scale=0.2)}


def classifier_params(gen: torch.Generator, v: int, e: int, f: int, layers: int, labels: int
                      ) -> dict[str, torch.Tensor]:
    """The parameters of a [CLS] classifier, named as the reference (and MaskedLM's body)
    names them: ``embedding.token``, ``encoder.layers.<i>.{self_attn, ff, norm1, norm2}``,
    ``classifier``."""
    params = {"param:embedding.token.weight": _randn(gen, v, e, scale=e ** -0.5)}
    for i in range(layers):
        p = f"encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            params.update(_linear(gen, f"{p}self_attn.{proj}", e, e))
        params.update(_linear(gen, f"{p}ff.linear1", e, f))
        params.update(_linear(gen, f"{p}ff.linear2", f, e))
        params.update(_norm(gen, f"{p}norm1", e))
        params.update(_norm(gen, f"{p}norm2", e))
    params.update(_linear(gen, "classifier", e, labels))
    return params


#: Marks a build error whose parameters read vocabulary-sized features (names the mistake).
VOCAB_MARK = "features of vocabulary size"


@register
class CLSClassifierHarness(ModuleHarness):
    """``CLSClassifier(vocab_size, num_labels, d_model, num_heads, d_ff, num_layers, max_len,
    dropout)``; ``forward(input_ids (B, T)) -> logits (B, num_labels)`` from position 0."""

    lesson = LESSON
    name = "CLSClassifier"
    title = "a [CLS] sentence classifier on the encoder body"
    # Measured (100 seeds, visible and hidden): max abs error 2.2e-06 (logits) and 1.9e-05
    # (parameter gradients, which sum over the batch); the worst element uses 1/11 of
    # this tolerance.
    tolerance = Tolerance(atol=5e-5, rtol=2.5e-4)
    structure = ("expected the provided body (embedding, encoder) plus exactly "
                 "classifier = nn.Linear(d_model, num_labels); dropout has no weights")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            sizes = []
            for layers in (2, _pick(gen, 1, 3)):
                b, heads, dh = _pick(gen, 3, 5), _pick(gen, 2, 3), _pick(gen, 3, 5)
                sizes.append({"b": b, "t": b + _pick(gen, 2, 4), "v": _pick(gen, 22, 40),
                              "e": heads * dh, "h": heads, "f": _pick(gen, 14, 24), "l": layers,
                              "c": _pick(gen, 2, 5)})
        else:
            sizes = [{"b": 3, "t": 7, "v": 32, "e": 12, "h": 3, "f": 20, "l": 2, "c": 3},
                     {"b": 4, "t": 6, "v": 24, "e": 8, "h": 2, "f": 16, "l": 1, "c": 2}]
        out = []
        for i, s in enumerate(sizes):
            ids = _sentences(gen, s["b"], s["t"], s["v"])
            max_len = s["t"] + (_pick(gen, 0, 4) if hidden else 3 * (1 - i))
            init = {"vocab_size": s["v"], "num_labels": s["c"], "d_model": s["e"],
                    "num_heads": s["h"], "d_ff": s["f"], "num_layers": s["l"], "max_len": max_len,
                    "dropout": 0.1}
            inputs = {"input_ids": ids, **classifier_params(gen, s["v"], s["e"], s["f"], s["l"], s["c"])}
            # Case names are unique keys of the evidence: numbered, as hidden sizes may repeat.
            name = f"{i + 1}: {s['l']} layer{'s' if s['l'] > 1 else ''}, {s['c']} labels, padded batch"
            describe = (f"{name}: input_ids {tuple(ids.shape)} with [CLS] first and [PAD] = 0 "
                        f"after [SEP]; " + ", ".join(f"{k}={v}" for k, v in init.items()))
            out.append(Case(name, describe, inputs, {"init": init},
                            {"logits": _randn(gen, s["b"], s["c"])}))
        return out

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> nn.Module:
        module = candidate(**case.args["init"])
        if not isinstance(module, nn.Module):
            raise TypeError(f"expected {self.name}(...) to build a torch.nn.Module, got "
                            f"{type(module).__name__}")
        params = {k[len("param:"):]: v.detach() for k, v in inputs.items() if k.startswith("param:")}
        module.to(dtype)
        own = dict(module.named_parameters())
        missing, extra = sorted(set(params) - set(own)), sorted(set(own) - set(params))
        wrong = sorted(n for n in set(own) & set(params) if own[n].shape != params[n].shape)
        if missing or extra or wrong:
            parts = ([f"missing {_names(missing)}"] if missing else []) + \
                    ([f"unexpected {_names(extra)}"] if extra else []) + \
                    [f"{n} has shape {tuple(own[n].shape)}, expected {tuple(params[n].shape)}"
                     for n in wrong[:2]]
            vocab = case.args["init"]["vocab_size"]
            odd = [n for n in extra + wrong if n != "embedding.token.weight" and vocab in own[n].shape]
            mark = f" ({_names(odd, 1)} reads {VOCAB_MARK})" if odd else ""
            raise RuntimeError(f"the module's parameters are not the expected ones "
                               f"({'; '.join(parts)}){mark}; {self.structure}")
        with torch.no_grad():
            for n, value in params.items():
                own[n].copy_(value)
        module.eval()
        self._module = module
        return module

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["param:classifier.weight"].dtype)
        return {"logits": module(inputs["input_ids"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return _error_verdict(got, context, mistakes, ((re.escape(VOCAB_MARK),
                                                            "classifier_on_vocab_logits"),))
        # A parameter without a gradient (one forward never uses) is told by the values
        # first: reading the wrong position is better said as such than "the graph is cut".
        if any(k.startswith(GRAD_PREFIX) and got.get(k) is None for k in expected):
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            verdict = compare(got, values, context=context, mistakes=mistakes, tol=self.tolerance)
            if not verdict.passed:
                return verdict
        return compare(got, expected, context=context, mistakes=mistakes, tol=self.tolerance)


# =========================================================================== mean pooling


@register
class MaskedMeanPool(Harness):
    """``masked_mean_pool(hidden (B, T, E), attention_mask (B, T) bool) -> (B, E)``."""

    lesson = LESSON
    name = "masked_mean_pool"
    title = "the mean of the hidden states over the real tokens"
    grad_inputs = ("hidden",)
    # Measured (100 seeds): max abs error 3.6e-07 (outputs) and 6.7e-08 (gradients); the
    # worst element uses 1/15 of this tolerance.
    tolerance = Tolerance(atol=3e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            sizes = [(_pick(gen, 3, 5), _pick(gen, 6, 9), _pick(gen, 3, 7)),
                     (_pick(gen, 2, 4), _pick(gen, 4, 7), _pick(gen, 2, 5))]
        else:
            sizes = [(3, 6, 5), (2, 4, 3)]
        out = []
        for i, (b, t, e) in enumerate(sizes):
            if i == 0:  # right padding, the middle row shortest
                lengths = torch.randint(1, t + 1, (b,), generator=gen)
                lengths[0], lengths[1] = t, 2
                mask = torch.arange(t)[None, :] < lengths[:, None]
                name = "right padding"
            else:  # any pattern of real tokens (position 0 always real)
                mask = torch.rand(b, t, generator=gen) < 0.6
                mask[:, 0] = True
                mask[0] = True
                name = "real tokens anywhere"
            # Padded positions hold values of their own (as an encoder's output does).
            x = _randn(gen, b, t, e) + 2.0
            out.append(Case(name, f"{name}: hidden {tuple(x.shape)}, attention_mask "
                            f"{tuple(mask.shape)} bool, True at real tokens",
                            {"hidden": x, "attention_mask": mask}, {},
                            {"pooled": _randn(gen, b, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"pooled": candidate(inputs["hidden"], inputs["attention_mask"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return _error_verdict(got, context, mistakes)
        return compare(got, expected, context=context, mistakes=mistakes, tol=self.tolerance,
                       properties=lambda g: self.all_properties(g, case), hints=self.hints)


# =========================================================================== stand-in models


class _ToyLayer(nn.Module):
    def __init__(self, e: int) -> None:
        super().__init__()
        self.ff = nn.Linear(e, e)
        self.norm1 = nn.LayerNorm(e)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm1(x + torch.tanh(self.ff(x)))


class _ToyEncoder(nn.Module):
    def __init__(self, e: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_ToyLayer(e) for _ in range(layers))
        self.norm = None  # post-norm, like the lesson's encoder: no final LayerNorm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class _ToyEmbedding(nn.Module):
    def __init__(self, v: int, e: int) -> None:
        super().__init__()
        self.token = nn.Embedding(v, e)
        self.dropout = nn.Dropout(0.1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.token(ids))


class ToyClassifier(nn.Module):
    """The classifier's layout: ``embedding``, ``encoder`` (``layers``, ``norm``), ``dropout``,
    ``classifier``; ``forward(ids) -> (B, num_labels)`` from position 0."""

    def __init__(self, v: int, e: int, layers: int, labels: int) -> None:
        super().__init__()
        self.embedding = _ToyEmbedding(v, e)
        self.encoder = _ToyEncoder(e, layers)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(e, labels)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.encoder(self.embedding(ids))[:, 0]))


class _ToyHead(nn.Module):
    def __init__(self, e: int, v: int) -> None:
        super().__init__()
        self.dense = nn.Linear(e, e)
        self.norm = nn.LayerNorm(e)
        self.proj = nn.Linear(e, v)


class ToyMaskedLM(nn.Module):
    """A masked LM's layout: ``embedding``, ``encoder``, ``mlm_head`` (``proj`` tied)."""

    def __init__(self, v: int, e: int, layers: int) -> None:
        super().__init__()
        self.embedding = _ToyEmbedding(v, e)
        self.encoder = _ToyEncoder(e, layers)
        self.mlm_head = _ToyHead(e, v)
        self.mlm_head.proj.weight = self.embedding.token.weight


def _toy_params(gen: torch.Generator, model: nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """Random values for each (distinct) parameter of ``model``, keyed ``<prefix><name>``."""
    out = {}
    for n, p in model.named_parameters():
        if n.endswith("norm1.weight") or n.endswith("norm.weight"):
            out[prefix + n] = 1 + _randn(gen, *p.shape, scale=0.3)
        else:
            out[prefix + n] = _randn(gen, *p.shape, scale=0.5)
    return out


def _load(model: nn.Module, inputs: Mapping[str, torch.Tensor], prefix: str, dtype: torch.dtype
          ) -> nn.Module:
    model.to(dtype)
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(inputs[prefix + n])
    model.train()
    return model


def _toy_sizes(gen: torch.Generator, hidden: bool, i: int) -> tuple[int, int, int, int]:
    """(vocab, d_model, layers, labels) of case ``i``: all different from each other."""
    if hidden:
        return _pick(gen, 9, 14), _pick(gen, 4, 7), _pick(gen, 3, 5), _pick(gen, 2, 3)
    return ((12, 6, 4, 3), (10, 5, 3, 2))[i % 2]


def _group(name: str) -> str:
    """A parameter's part of the model, in words."""
    m = re.match(r"encoder\.layers\.(\d+)\.", name)
    if m:
        return f"encoder layer {m.group(1)}"
    return name.split(".")[0]


def _groups(names: list[str], flags: torch.Tensor) -> list[str]:
    seen: list[str] = []
    for n, f in zip(names, flags.tolist(), strict=True):
        if f and _group(n) not in seen:
            seen.append(_group(n))
    return seen


# =========================================================================== load_pretrained_encoder


@register
class LoadPretrainedEncoder(Harness):
    """``load_pretrained_encoder(classifier, masked_lm)``: copy ``embedding`` and ``encoder``."""

    lesson = LESSON
    name = "load_pretrained_encoder"
    title = "copy a masked LM's embedding and encoder into the classifier"
    # Copies only: float32 against float64 differs by the float32 rounding of the weights
    # (measured over 100 seeds: 8.1e-08 at most); the worst element uses 1/10 of this.
    tolerance = Tolerance(atol=3e-7, rtol=3e-7)
    hints = {
        "copied_wrong_direction": "the masked LM's weights changed: copy FROM masked_lm INTO "
        "classifier (classifier.embedding.load_state_dict(masked_lm.embedding.state_dict()), "
        "and the same for encoder), never the other way round.",
        "shares_modules": "the classifier now shares parameters with the masked LM (e.g. "
        "classifier.encoder = masked_lm.encoder): fine-tuning it would also change the "
        "pre-trained model, and every other classifier loaded from it. Copy the weights "
        "(load_state_dict, or copy.deepcopy of the modules) instead.",
        "parameters_renamed": "after loading, the classifier must have exactly the parameters "
        "it had (embedding, encoder, classifier): copy weights into its modules, do not add, "
        "remove or replace modules.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []
        for i in range(2):
            v, e, layers, labels = _toy_sizes(gen, hidden, i)
            inputs = {**_toy_params(gen, ToyClassifier(v, e, layers, labels), "c:"),
                      **_toy_params(gen, ToyMaskedLM(v, e, layers), "m:")}
            name = f"{i + 1}: {layers} encoder layers, {labels} labels"  # unique, numbered
            describe = (f"{name}: a classifier (embedding, encoder, dropout, classifier) and a "
                        f"masked LM (embedding, encoder, mlm_head tied to the token embedding), "
                        f"vocab_size={v}, d_model={e}, different random weights")
            out.append(Case(name, describe, inputs, {"sizes": [v, e, layers, labels]}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        v, e, layers, labels = case.args["sizes"]
        dtype = inputs["c:classifier.weight"].dtype
        clf = _load(ToyClassifier(v, e, layers, labels), inputs, "c:", dtype)
        mlm = _load(ToyMaskedLM(v, e, layers), inputs, "m:", dtype)
        candidate(clf, mlm)
        params = dict(clf.named_parameters())
        out: dict[str, Any] = {"names": ";".join(f"{n}{tuple(p.shape)}" for n, p in params.items())}
        out.update({f"c:{n}": p.detach().clone() for n, p in params.items()})
        out.update({f"m:{n}": p.detach().clone() for n, p in mlm.named_parameters()})
        theirs = {p.data_ptr() for p in mlm.parameters()}
        out["shared"] = torch.tensor([p.data_ptr() in theirs for p in params.values()])
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return _error_verdict(got, context, mistakes, (
                (r"Unexpected key\(s\).*mlm_head|Missing key\(s\).*classifier\.", "mlm_head_loaded"),))

        def fail(layer: str, text: str, mid: str | None) -> Verdict:
            hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid or "")
            lines = [f"FAILED ({layer}) {context}", text] + ([f"Hint: {hint}"] if hint else [])
            return Verdict(False, "\n".join(lines), mid, layer)

        def same(key: str, a: Any, b: Any) -> bool:
            return type(a) is torch.Tensor and type(b) is torch.Tensor and a.shape == b.shape and \
                bool(torch.isclose(a.double(), b.double(), rtol=self.tolerance.rtol,
                                   atol=self.tolerance.atol).all())

        def matching(keys: list[str]) -> str | None:
            for m in mistakes:
                if ERROR_KEY not in m.outputs and all(
                        (got.get(k) == m.outputs.get(k)) if isinstance(m.outputs.get(k), str)
                        else same(k, got.get(k), m.outputs.get(k)) for k in keys):
                    return m.id
            return None

        if got.get("names") != expected["names"]:
            exp_names = [n.split("(")[0] for n in str(expected["names"]).split(";")]
            got_names = [n.split("(")[0] for n in str(got.get("names", "")).split(";") if n]
            missing = [n for n in exp_names if n not in got_names]
            extra = [n for n in got_names if n not in exp_names]
            text = (f"the classifier's parameters changed: missing {_names(missing) or 'none'}; "
                    f"unexpected {_names(extra) or 'none'} (shapes may differ too)")
            return fail("type", text, matching(["names"]) or "parameters_renamed")
        m_keys = sorted(k for k in expected if k.startswith("m:"))
        c_keys = sorted(k for k in expected if k.startswith("c:"))
        changed = [k[2:] for k in m_keys if not same(k, got.get(k), case.inputs[k])]
        if changed:
            return fail("property", f"the masked LM changed: {_names(changed)} no longer hold "
                        "their pre-trained values", matching(c_keys + m_keys) or "copied_wrong_direction")
        shared = got.get("shared")
        if type(shared) is not torch.Tensor or shared.dtype != torch.bool:
            return fail("type", "no record of which parameters are shared", None)
        order = [n.split("(")[0] for n in str(expected["names"]).split(";")]
        if shared.shape != (len(order),):
            return fail("type", "no record of which parameters are shared", None)
        if bool(shared.any()):
            names = [n for n, s in zip(order, shared.tolist(), strict=True) if s]
            return fail("property", f"the classifier's {_names(names)} are the masked LM's own "
                        "tensors, not copies", "shares_modules")
        problems = []
        for k in c_keys:
            n = k[2:]
            if same(k, got[k], expected[k]):
                continue
            source = case.inputs.get(f"m:{n}")
            if same(k, got[k], case.inputs[k]):
                problems.append(f"{n} still holds the classifier's own initial weights; expected "
                                "the masked LM's")
            elif source is not None and same(k, got[k], source):
                problems.append(f"{n} was overwritten with the masked LM's weights; expected it "
                                "to stay as it was (the head is new)")
            else:
                problems.append(f"{n} holds values that are neither its own nor the masked LM's")
        if problems:
            shown = problems[:3] + ([f"... and {len(problems) - 3} more"] if len(problems) > 3 else [])
            return fail("values", "\n".join(shown), matching(c_keys))
        return Verdict(True, f"passed: {context}")


# =========================================================================== freeze_layers


@register
class FreezeLayers(Harness):
    """``freeze_layers(model, num_layers)``: freeze the embedding and the first
    ``num_layers`` encoder layers (``num_layers = 0`` trains everything); the classifier
    head always trains."""

    lesson = LESSON
    name = "freeze_layers"
    title = "freeze the embedding and the first n encoder layers"
    # The gradients come from the stand-in model, not from the candidate: float32 against
    # float64 (a LayerNorm over 4 to 7 features amplifies rounding), measured over 100 seeds:
    # 1.1e-04 at most; the worst element uses 1/14 of this tolerance.
    tolerance = Tolerance(atol=5e-5, rtol=5e-4)
    hints = {
        "nothing_frozen": "nothing was frozen: set requires_grad to False on the PARAMETERS of "
        "the modules to freeze, in place on the model you are given "
        "(module.requires_grad_(False), or p.requires_grad = False for p in module.parameters()).",
        "changes_weights": "freezing must not change any weight: only switch requires_grad.",
        "parameters_renamed": "freezing must not add, remove or replace modules: switch "
        "requires_grad on the parameters the model has.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []
        v, e, layers, labels = _toy_sizes(gen, hidden, 0)
        # At most L - 2 layers in the first case: freezing one layer too many must not
        # freeze the whole encoder there (two mistakes would look alike).
        first = _pick(gen, 1, layers - 2) if hidden else 2
        again = _pick(gen, 1, layers - 1) if hidden else 1
        plans = [("freeze some", [first]), ("freeze none", [0]), ("freeze all", [layers]),
                 ("freeze all, then fewer", [layers, again])]
        for name, calls in plans:
            model = ToyClassifier(v, e, layers, labels)
            inputs = {**_toy_params(gen, model, "w:"),
                      "ids": torch.randint(0, v, (3, 5), generator=gen),
                      "up": _randn(gen, 3, labels)}
            said = ", then ".join(f"freeze_layers(model, {n})" for n in calls)
            describe = (f"{name}: a model with an embedding, {layers} encoder layers and a "
                        f"classifier head, all trainable at first; {said}")
            out.append(Case(name, describe, inputs, {"sizes": [v, e, layers, labels], "calls": calls}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        v, e, layers, labels = case.args["sizes"]
        dtype = inputs["up"].dtype
        model = _load(ToyClassifier(v, e, layers, labels), inputs, "w:", dtype)
        for n in case.args["calls"]:
            candidate(model, n)
        params = dict(model.named_parameters())
        out: dict[str, Any] = {"names": ";".join(f"{n}{tuple(p.shape)}" for n, p in params.items())}
        if any(("w:" + n) not in inputs or inputs["w:" + n].shape != p.shape for n, p in params.items()):
            return out  # the judge reports the changed parameters
        out["requires_grad"] = torch.tensor([p.requires_grad for p in params.values()])
        out["changed"] = torch.tensor([not torch.equal(p.detach(), inputs["w:" + n])
                                       for n, p in params.items()])
        modules = list(model.named_modules())
        out["training"] = torch.tensor([m.training for _, m in modules])
        out["attribute"] = torch.tensor(["requires_grad" in vars(m) for _, m in modules])
        # A backward pass: which parameters get a gradient, and its values.
        model.eval()
        for p in params.values():
            p.grad = None
        logits = model(inputs["ids"])
        if logits.requires_grad:
            (logits * inputs["up"]).sum().backward()
        out["has_grad"] = torch.tensor([p.grad is not None and bool(p.grad.abs().sum() > 0)
                                        for p in params.values()])
        out["grads"] = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                                  for p in params.values()]).detach()
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return _error_verdict(got, context, mistakes)

        def fail(layer: str, text: str, mid: str | None) -> Verdict:
            hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid or "")
            lines = [f"FAILED ({layer}) {context}", text] + ([f"Hint: {hint}"] if hint else [])
            return Verdict(False, "\n".join(lines), mid, layer)

        def flags(out: Mapping[str, Any], key: str) -> torch.Tensor | None:
            value = out.get(key)
            return value if type(value) is torch.Tensor and value.dtype == torch.bool else None

        if got.get("names") != expected["names"]:
            return fail("type", "the model's parameters changed names or shapes",
                        "parameters_renamed")
        names = [n.split("(")[0] for n in str(expected["names"]).split(";")]
        keys = ("requires_grad", "has_grad", "training", "attribute", "changed")
        mine = {k: flags(got, k) for k in keys}
        if any(v is None for v in mine.values()):
            return fail("type", "the record of the model's state is incomplete", None)
        if bool(mine["changed"].any()):
            return fail("property", f"the weights of {_names(_groups(names, mine['changed']))} "
                        "changed", "changes_weights")
        want = expected["requires_grad"]
        if not torch.equal(mine["requires_grad"], want):
            should_freeze = _groups(names, ~want & mine["requires_grad"])
            should_train = _groups(names, want & ~mine["requires_grad"])
            text = "; ".join(
                ([f"expected frozen but trainable: {', '.join(should_freeze)}"] if should_freeze else [])
                + ([f"expected trainable but frozen: {', '.join(should_train)}"] if should_train else []))
            return fail("values", text, self._diagnose(mine, mistakes))
        if not torch.equal(mine["has_grad"], expected["has_grad"]):
            missing = _groups(names, expected["has_grad"] & ~mine["has_grad"])
            extra = _groups(names, ~expected["has_grad"] & mine["has_grad"])
            text = "after a backward pass, " + "; ".join(
                ([f"no gradient reached {', '.join(missing)}"] if missing else [])
                + ([f"a frozen part got a gradient: {', '.join(extra)}"] if extra else []))
            return fail("gradients", text, None)
        grads = got.get("grads")
        exp = expected["grads"]
        if type(grads) is not torch.Tensor or grads.shape != exp.shape or not bool(torch.isclose(
                grads.double(), exp.double(), rtol=self.tolerance.rtol, atol=self.tolerance.atol).all()):
            return fail("gradients", "after a backward pass the gradients differ from the "
                        "expected ones (was the model changed in another way?)", None)
        return Verdict(True, f"passed: {context}")

    @staticmethod
    def _diagnose(mine: Mapping[str, torch.Tensor], mistakes: list[Mistake]) -> str:
        """The catalogued mistake this state shows: one that agrees on every flag, else a
        rule for the ways of freezing nothing, else one that agrees on requires_grad."""
        keys = ("requires_grad", "training", "attribute")

        def agrees(m: Mistake, ks: tuple[str, ...]) -> bool:
            return all(type(m.outputs.get(k)) is torch.Tensor and m.outputs[k].shape == mine[k].shape
                       and torch.equal(m.outputs[k], mine[k]) for k in ks)

        found = next((m.id for m in mistakes if agrees(m, keys)), None)
        if found is None and bool(mine["requires_grad"].all()):
            if bool(mine["attribute"].any()):
                found = "requires_grad_on_module"
            elif not bool(mine["training"].all()):
                found = "eval_instead_of_freezing"
            else:
                found = "nothing_frozen"
        return found or next((m.id for m in mistakes if agrees(m, ("requires_grad",))), None) or ""


# =========================================================================== questions


@register
class PooledShape(AnswerHarness):
    lesson = LESSON
    name = "pooled_shape"
    kind = "shape"
    question = ("a batch of 8 sentences of 15 tokens each goes through an encoder with hidden "
                "size 768: the shape of what the classification head reads ([CLS] pooling)")


@register
class WhyCls(AnswerHarness):
    lesson = LESSON
    name = "why_cls"
    kind = "choice"
    question = "why the hidden state of [CLS] can summarise a whole sentence"


@register
class TwoStages(AnswerHarness):
    lesson = LESSON
    name = "two_stages"
    kind = "choice"
    question = "what each of the two data sets is used for in pre-training and fine-tuning"

