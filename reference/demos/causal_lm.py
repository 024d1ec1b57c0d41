"""Demo (c): a small decoder-only causal language model, GPT-style (lesson 07).

Book: *Foundations of LLMs* ch. 2, generative models trained by maximum
likelihood: each position predicts the next token, Pr(x_i | x_<i), on
"<s> sentence </s>"; the loss is the per-token negative log-likelihood.
Peer: Hugging Face ``GPT2LMHeadModel`` with ``labels=input_ids``.

Held-out metrics: the per-token loss and next-token accuracy on the held-out
sentences; the demo also continues "<s> the puppies" greedily.
"""

from __future__ import annotations

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
    sample_batch,
)
from reference.demos.targets import CAUSAL_LM, Budget
from reference.models import CausalLM
from reference.objectives import causal_lm_loss
from reference.tokenizer import EOS_ID, PAD_ID, Tokenizer
from reference.training import evaluate, train

NAME = "causal_lm"
TITLE = "(c) causal language model, GPT-style, on <s> sentence </s>"
LEARNING_RATE = 3e-3
PROMPT = "<s> the puppies"


def _metrics(model: CausalLM, ids: Tensor) -> dict[str, float]:
    logits = model(ids)  # (B, T, V)
    targets = ids[:, 1:].masked_fill(ids[:, 1:] == PAD_ID, -100)  # (B, T-1): the next token
    return {"loss": float(causal_lm_loss(logits, ids, pad_id=PAD_ID)),
            "next_token_accuracy": accuracy(logits[:, :-1], targets)}


def run(budget: str | Budget = "full", *, corpus: CourseCorpus | None = None, seed: int = 0,
        progress: bool = True) -> DemoResult:
    """Train on the train sentences; report held-out metrics and one greedy continuation."""
    budget = get_budget(CAUSAL_LM, budget)
    corpus = get_corpus(corpus, seed)
    tok = corpus.tokenizer
    train_ids = [tok.encode(s, add_bos=True, add_eos=True) for s in corpus.sentences("train")]
    heldout = pad([tok.encode(s, add_bos=True, add_eos=True) for s in corpus.sentences("heldout")])

    torch.manual_seed(seed)
    model = CausalLM(demo_config(tok.vocab_size))

    def loss_fn(m: CausalLM, ids: Tensor) -> Tensor:
        return causal_lm_loss(m(ids), ids, pad_id=PAD_ID)

    with Stopwatch() as watch:
        before = evaluate(model, [heldout], _metrics)
        history = train(model, lambda g: sample_batch(train_ids, budget.batch_size, g), loss_fn,
                        steps=budget.steps, lr=LEARNING_RATE, seed=seed, progress=progress,
                        desc=NAME)
        after = evaluate(model, [heldout], _metrics)
        samples = [f"  {PROMPT} -> {continue_greedily(model, tok, PROMPT)}"]
    return DemoResult(NAME, before, after, budget.targets, seconds=watch.seconds,
                      cpu_seconds=watch.cpu_seconds, history=history, samples=samples)


@torch.no_grad()
def continue_greedily(model: CausalLM, tokenizer: Tokenizer, prompt: str, max_new: int = 16) -> str:
    """Append the most probable next token until ``</s>`` or ``max_new`` tokens."""
    model.eval()
    ids = torch.tensor([tokenizer.encode(prompt)])  # (1, T)
    for _ in range(max_new):
        next_id = model(ids)[0, -1].argmax()  # the prediction after the last token
        ids = torch.cat([ids, next_id.view(1, 1)], dim=1)  # (1, T + 1)
        if int(next_id) == EOS_ID:
            break
    return tokenizer.decode(ids[0])
