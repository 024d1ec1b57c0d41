"""Demo (b): a denoising encoder-decoder, BART-style (lesson 06).

Book: *Foundations of LLMs* ch. 1, denoising autoencoding: the encoder reads a
corrupted sentence (BART text infilling, Poisson spans each replaced by one
[MASK], or token masking), the decoder reconstructs the original token by
token from ``<s>`` under teacher forcing, and greedy decoding reconstructs
held-out sentences such as "the puppies are frolicking outside the house .".
Peer: Hugging Face ``BartForConditionalGeneration`` with fairseq's
``DenoisingDataset`` noise.

Held-out metrics: teacher-forced loss and token accuracy, and the share of
sentences whose greedy reconstruction is exactly the original.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from reference.data import CourseCorpus, pad
from reference.demos.common import (
    DemoResult,
    Stopwatch,
    accuracy,
    demo_config,
    get_budget,
    get_corpus,
    sample_rows,
)
from reference.demos.targets import DENOISING, Budget
from reference.denoising import seq2seq_loss, shift_right, text_infilling, token_masking
from reference.models import EncoderDecoder, greedy_decode
from reference.tokenizer import BOS_ID, EOS_ID, MASK_ID, PAD_ID, Tokenizer
from reference.training import evaluate, train

NAME = "denoising"
TITLE = "(b) denoising encoder-decoder, BART-style: text infilling / token masking"
LEARNING_RATE = 3e-3
HELDOUT_SENTENCES = 400  # greedy decoding of all held-out sentences would double the eval time
HELDOUT_NOISE_SEED = 4321
SHOWCASE = 3  # held-out sentences shown corrupted and reconstructed; the first is the puppies one

Batch = tuple[Tensor, Tensor, Tensor]  # src (B, S), tgt_in (B, T), labels (B, T)


def corrupt(clean: Tensor, generator: torch.Generator, kind: str | None = None) -> Tensor:
    """Text infilling or token masking (a fair coin when ``kind`` is None) of ``w1 .. wn </s>``."""
    if kind is None:
        kind = "infilling" if torch.rand((), generator=generator) < 0.5 else "masking"
    if kind == "infilling":
        return text_infilling(clean, mask_token_id=MASK_ID, generator=generator)
    return token_masking(clean, mask_token_id=MASK_ID, generator=generator)


def make_batch(cleans: Sequence[Tensor], generator: torch.Generator, kind: str | None = None) -> Batch:
    """Corrupt each clean ``(T_i,)`` sequence; labels are the clean ones, -100 on padding."""
    src = pad([corrupt(c, generator, kind).tolist() for c in cleans])  # (B, S)
    labels = pad([c.tolist() for c in cleans], pad_id=-100)  # (B, T)
    return src, shift_right(labels, BOS_ID, PAD_ID), labels


def _clean_sentences(corpus: CourseCorpus, split: str) -> list[Tensor]:
    tok = corpus.tokenizer
    return [torch.tensor(tok.encode(s, add_eos=True)) for s in corpus.sentences(split)]


def _reconstruct(model: EncoderDecoder, src: Tensor, max_len: int) -> list[list[int]]:
    """Greedy reconstructions without ``<s>``, cut after ``</s>``."""
    out = greedy_decode(model, src, max_len=max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID)
    return [[t for t in row if t != PAD_ID] for row in out[:, 1:].tolist()]


def _metrics(model: EncoderDecoder, batch: Batch) -> dict[str, float]:
    src, tgt_in, labels = batch
    logits = model(src, tgt_in)  # (B, T, V)
    targets = [[t for t in row if t != -100] for row in labels.tolist()]
    guesses = _reconstruct(model, src, max_len=labels.shape[1] + 1)
    exact = sum(g == t for g, t in zip(guesses, targets, strict=True)) / len(targets)
    return {"loss": float(seq2seq_loss(logits, labels)), "token_accuracy": accuracy(logits, labels),
            "exact_match": exact}


def run(budget: str | Budget = "full", *, corpus: CourseCorpus | None = None, seed: int = 0,
        progress: bool = True) -> DemoResult:
    """Train to reconstruct corrupted train sentences; report held-out metrics and examples."""
    budget = get_budget(DENOISING, budget)
    corpus = get_corpus(corpus, seed)
    train_cleans = _clean_sentences(corpus, "train")
    heldout_cleans = _clean_sentences(corpus, "heldout")[:HELDOUT_SENTENCES]
    heldout = make_batch(heldout_cleans, torch.Generator().manual_seed(HELDOUT_NOISE_SEED))

    torch.manual_seed(seed)
    model = EncoderDecoder(demo_config(corpus.tokenizer.vocab_size))

    def draw(generator: torch.Generator) -> Batch:
        # Fresh noise every step, as BART corrupts each example anew.
        return make_batch(sample_rows(train_cleans, budget.batch_size, generator), generator)

    def loss_fn(m: EncoderDecoder, batch: Batch) -> Tensor:
        src, tgt_in, labels = batch
        return seq2seq_loss(m(src, tgt_in), labels)

    with Stopwatch() as watch:
        before = evaluate(model, [heldout], _metrics)
        history = train(model, draw, loss_fn, steps=budget.steps, lr=LEARNING_RATE, seed=seed,
                        progress=progress, desc=NAME)
        after = evaluate(model, [heldout], _metrics)
        samples = showcase(model, heldout_cleans[:SHOWCASE], corpus.tokenizer)
    return DemoResult(NAME, before, after, budget.targets, seconds=watch.seconds,
                      cpu_seconds=watch.cpu_seconds, history=history, samples=samples)


def showcase(model: EncoderDecoder, cleans: Sequence[Tensor], tokenizer: Tokenizer) -> list[str]:
    """Each sentence, corrupted both ways, with its greedy reconstruction and a verdict."""
    generator = torch.Generator().manual_seed(HELDOUT_NOISE_SEED)
    shown = {}  # kind -> (corrupted inputs (B, S), reconstructions)
    for kind in ("infilling", "masking"):
        src, _, labels = make_batch(cleans, generator, kind)
        shown[kind] = (src, _reconstruct(model, src, max_len=labels.shape[1] + 1))
    lines = []
    for row, clean in enumerate(cleans):
        lines.append(f"  {'original':<10}{tokenizer.decode(clean)}")
        for kind, (src, guesses) in shown.items():
            verdict = "exact" if guesses[row] == clean.tolist() else "differs"
            lines.append(f"  {kind:<10}{tokenizer.decode(src[row])}")
            lines.append(f"  {'':<10}-> {tokenizer.decode(guesses[row])}   [{verdict}]")
    return lines
