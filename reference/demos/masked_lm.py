"""Demo (a): pre-train a small BERT-style masked language model (lesson 05).

Book: *Foundations of LLMs* ch. 1, masked language modelling: 15% of the
non-special tokens of "[CLS] sentence [SEP]" are selected (80% -> [MASK], 10%
-> a random word, 10% kept) and the encoder predicts the originals. Peer:
Hugging Face ``BertForMaskedLM`` trained with ``DataCollatorForLanguageModeling``.

Held-out metrics: the MLM loss and the masked-token accuracy on the held-out
sentences, masked once with a fixed seed so before and after see the same task.
"""

from __future__ import annotations

import torch

from reference.data import CourseCorpus, pad
from reference.demos.common import (
    DemoResult,
    Stopwatch,
    accuracy,
    demo_config,
    get_budget,
    get_corpus,
    sample_batch,
)
from reference.demos.targets import MASKED_LM, Budget
from reference.mlm import mask_tokens, mlm_loss
from reference.models import MaskedLM
from reference.tokenizer import MASK_ID, SPECIAL_IDS
from reference.training import evaluate, train

NAME = "masked_lm"
TITLE = "(a) masked language model, BERT-style, on [CLS] sentence [SEP]"
LEARNING_RATE = 3e-3
HELDOUT_MASK_SEED = 1234


def _mask(ids: torch.Tensor, vocab_size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    return mask_tokens(ids, mask_token_id=MASK_ID, vocab_size=vocab_size, special_ids=SPECIAL_IDS,
                       generator=generator)


def _metrics(model: MaskedLM, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
    inputs, labels = batch
    logits = model(inputs)  # (B, T, V)
    return {"loss": float(mlm_loss(logits, labels)), "masked_accuracy": accuracy(logits, labels)}


def run(budget: str | Budget = "full", *, corpus: CourseCorpus | None = None, seed: int = 0,
        progress: bool = True) -> DemoResult:
    """Train on the train sentences for the budget's steps; report held-out metrics."""
    budget = get_budget(MASKED_LM, budget)
    corpus = get_corpus(corpus, seed)
    vocab_size = corpus.tokenizer.vocab_size
    train_ids = corpus.encode_sentences("train")
    heldout = _mask(pad(corpus.encode_sentences("heldout")), vocab_size,
                    torch.Generator().manual_seed(HELDOUT_MASK_SEED))  # (N, T) each

    torch.manual_seed(seed)
    model = MaskedLM(demo_config(vocab_size))

    def draw(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        # Fresh masks every step: the model never sees the same corruption twice.
        return _mask(sample_batch(train_ids, budget.batch_size, generator), vocab_size, generator)

    def loss_fn(m: MaskedLM, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return mlm_loss(m(batch[0]), batch[1])

    with Stopwatch() as watch:
        before = evaluate(model, [heldout], _metrics)
        history = train(model, draw, loss_fn, steps=budget.steps, lr=LEARNING_RATE, seed=seed,
                        progress=progress, desc=NAME)
        after = evaluate(model, [heldout], _metrics)
        samples = _top_predictions(model, corpus)
    return DemoResult(NAME, before, after, budget.targets, seconds=watch.seconds,
                      cpu_seconds=watch.cpu_seconds, history=history, samples=samples)


def _top_predictions(model: MaskedLM, corpus: CourseCorpus, k: int = 3) -> list[str]:
    """The book's example: top-k words for each [MASK] of the held-out demo sentence."""
    text = "[CLS] the puppies are [MASK] outside the [MASK] . [SEP]"
    ids = torch.tensor([corpus.tokenizer.encode(text)])  # (1, T)
    model.eval()
    with torch.no_grad():
        probs = model(ids)[0].softmax(dim=-1)  # (T, V)
    lines = [f"  {text}"]
    for pos in (ids[0] == MASK_ID).nonzero().flatten().tolist():
        top = probs[pos].topk(k)
        words = ", ".join(f"{corpus.tokenizer.id_to_token(int(i))} {p:.2f}"
                          for p, i in zip(top.values, top.indices, strict=True))
        lines.append(f"    [MASK] at {pos}: {words}")
    return lines
