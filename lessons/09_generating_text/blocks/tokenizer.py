"""A word-level tokenizer with the course's fixed special tokens.

Book: *Foundations of LLMs* ch. 1 uses word-level examples ("[CLS] the puppies
are [MASK] outside the house ."); a word-level vocabulary keeps every lesson's
tensors readable. Peer: Hugging Face ``BertTokenizer`` (special tokens) and T5's
``<extra_id_N>`` sentinels, without sub-word splitting.

The special-token ids are fixed here and nowhere else: masks, labels, fixtures
and the grader all rely on ``[PAD]`` being 0 and so on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

PAD, UNK, CLS, SEP, MASK, BOS, EOS = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<s>", "</s>"
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3, 4, 5, 6

#: T5-style sentinels ``<extra_id_0>`` ... used by span corruption.
NUM_SENTINELS = 8
SENTINELS: tuple[str, ...] = tuple(f"<extra_id_{i}>" for i in range(NUM_SENTINELS))
SENTINEL_IDS: tuple[int, ...] = tuple(range(7, 7 + NUM_SENTINELS))

SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK, BOS, EOS, *SENTINELS)
SPECIAL_IDS: tuple[int, ...] = tuple(range(len(SPECIAL_TOKENS)))

# Words and the punctuation marks the corpus uses are separate tokens.
_TOKEN_RE = re.compile(r"<extra_id_\d+>|\[[A-Z]+\]|</?s>|[a-z0-9']+|[.,?!;:]")


_SPECIAL_RE = re.compile(r"(<extra_id_\d+>|\[[A-Z]+\]|</?s>)")


def split_words(text: str) -> list[str]:
    """Split ``text`` into word and punctuation tokens; words are lower-cased,
    special tokens such as ``[MASK]`` keep their spelling."""
    if not isinstance(text, str):
        raise ValueError(f"expected a str, got {type(text).__name__}")
    tokens: list[str] = []
    for part in _SPECIAL_RE.split(text):
        if _SPECIAL_RE.fullmatch(part):
            tokens.append(part)
        else:
            tokens.extend(_TOKEN_RE.findall(part.lower()))
    return tokens


class Tokenizer:
    """Maps words to ids and back. Ids ``0 .. len(SPECIAL_TOKENS)-1`` are the specials.

    Build one from text with :meth:`from_texts`, or from a word list with the
    constructor. Unknown words encode to ``[UNK]``.
    """

    def __init__(self, words: Sequence[str]) -> None:
        words = [w for w in words if w not in SPECIAL_TOKENS]
        if len(set(words)) != len(words):
            raise ValueError("expected distinct words, got duplicates")
        self.itos: list[str] = [*SPECIAL_TOKENS, *words]
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_count: int = 1) -> Tokenizer:
        """A vocabulary of every word seen ``min_count`` times, most frequent first."""
        counts = Counter(w for t in texts for w in split_words(t))
        words = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIAL_TOKENS),
                       key=lambda w: (-counts[w], w))
        return cls(words)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    @property
    def special_ids(self) -> tuple[int, ...]:
        return SPECIAL_IDS

    def token_to_id(self, token: str) -> int:
        return self.stoi.get(token, UNK_ID)

    def id_to_token(self, idx: int) -> str:
        if not 0 <= idx < self.vocab_size:
            raise ValueError(f"expected an id in [0, {self.vocab_size}), got {idx}")
        return self.itos[idx]

    def encode(self, text: str, *, add_cls: bool = False, add_bos: bool = False,
               add_eos: bool = False) -> list[int]:
        """Ids of ``text``; optionally ``[CLS]`` or ``<s>`` first and ``</s>`` last."""
        ids = [self.token_to_id(w) for w in split_words(text)]
        if add_cls:
            ids.insert(0, CLS_ID)
        if add_bos:
            ids.insert(0, BOS_ID)
        if add_eos:
            ids.append(EOS_ID)
        return ids

    def decode(self, ids: Iterable[int] | torch.Tensor, *, skip_special_tokens: bool = False) -> str:
        """Text of ``ids``; ``[PAD]`` is always dropped, other specials unless asked."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"expected a 1-D tensor of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        words = []
        for i in ids:
            if i == PAD_ID or (skip_special_tokens and i in SPECIAL_IDS):
                continue
            words.append(self.id_to_token(int(i)))
        return " ".join(words)

    def pad_batch(self, sequences: Sequence[Sequence[int]], max_len: int | None = None) -> torch.Tensor:
        """Right-pad id lists with ``[PAD]`` into a ``(B, T)`` long tensor (truncating at ``max_len``)."""
        if len(sequences) == 0:
            raise ValueError("expected at least one sequence, got none")
        length = max_len if max_len is not None else max(len(s) for s in sequences)
        out = torch.full((len(sequences), length), PAD_ID, dtype=torch.long)
        for row, seq in enumerate(sequences):
            seq = list(seq)[:length]
            out[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        return out

    def __len__(self) -> int:
        return self.vocab_size
