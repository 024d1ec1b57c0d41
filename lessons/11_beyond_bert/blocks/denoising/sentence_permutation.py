"""BART's sentence permutation: a document's sentences shuffled, no token removed.

Book: *Foundations of LLMs* ch. 1, "Input Corruption Methods for Denoising Autoencoder
Training". Sentence permutation shuffles a document's sentences, so the model learns
discourse order. Peer: fairseq ``DenoisingDataset.permute_sentences`` (BART).

Leading ``[CLS]``/``<s>`` and trailing ``[SEP]``/``</s>`` stay in place; only the body moves.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

from ._common import check_generator, check_ids, check_tokens, split_boundary


def split_sentences(body: Tensor, sentence_end_ids: Iterable[int]) -> list[Tensor]:
    """Cut ``body`` after every sentence-end id; trailing tokens without one form a last sentence."""
    is_end = torch.isin(body, torch.tensor(list(sentence_end_ids), dtype=torch.long))
    ends = (is_end.nonzero().squeeze(1) + 1).tolist()
    if not ends or ends[-1] != body.numel():
        ends.append(body.numel())
    starts = [0, *ends[:-1]]
    return [body[s:e] for s, e in zip(starts, ends, strict=True)]


def sentence_permutation(tokens: Tensor, *, sentence_end_ids: int | Iterable[int],
                         generator: torch.Generator | None = None) -> Tensor:
    """Shuffle the sentences of a 1-D long document: a new ``(T,)`` holding the same tokens.

    Sentences end after each id in ``sentence_end_ids`` (e.g. the id of "."), and the
    order is one ``torch.randperm(num_sentences, generator=...)`` (it may be the
    identity, e.g. for one sentence). ``tokens`` is not modified.
    """
    check_tokens(tokens)
    ends = check_ids("sentence_end_ids", sentence_end_ids)
    check_generator(generator)
    head, body, tail = split_boundary(tokens.cpu())
    if body.numel() == 0:
        return tokens.clone()
    sentences = split_sentences(body, ends)
    order = torch.randperm(len(sentences), generator=generator).tolist()
    return torch.cat([head, *(sentences[i] for i in order), tail]).to(tokens.device)
