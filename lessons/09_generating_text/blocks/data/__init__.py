"""The course corpus: English-like documents from a small seeded grammar.

Book: *Foundations of LLMs* ch. 1 illustrates pre-training with sentences such as
"the puppies are frolicking outside the house ."; this module generates a corpus in
that spirit, made by the project (no downloads), so that every lesson trains on the
same data in seconds. Peer: the role of a Hugging Face ``datasets`` text corpus plus
``DataCollatorWithPadding``, reduced to plain lists and padded ``(B, T)`` tensors.

What a model can learn from it (so masked-token accuracy beats a unigram baseline):

- subject/verb agreement: "the puppy is" / "the puppies are", "she reads" / "they read";
- determiner/noun agreement: "a" / "this" / "every" + singular, "two" / "these" / "many" + plural;
- semantic constraints: each topic (animals, people, vehicles, birds) has its own verbs,
  adjectives, places and objects, and each transitive verb its own objects;
- topical coherence: a document keeps one topic and one main subject, later referred
  to by a pronoun ("it", "he", "she", "they").

Sentences are lower-case, 5 to 15 tokens, punctuation a token of its own. Documents
hold 3 to 6 sentences. ``load_corpus`` gives disjoint train and held-out documents;
:data:`DEMO_SENTENCE` is in the held-out split (it is the first sentence of
``heldout[0]``) and never a sentence of the train split.

Every random function takes ``generator: torch.Generator | None`` and draws from it
only (from torch's global generator when it is None).

Typical use (MLM batches; denoising takes ``corpus.encode_documents(...)`` one by one)::

    corpus = load_corpus(seed=0)                      # 2000 train, 200 held-out documents
    g = torch.Generator().manual_seed(0)
    for batch in batches(corpus.encode_sentences("train"), 32, generator=g):  # (B, T) long
        inputs, labels = mask_tokens(batch, mask_token_id=MASK_ID, generator=g,
                                     vocab_size=corpus.tokenizer.vocab_size, special_ids=SPECIAL_IDS)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from . import grammar
from .grammar import TOPICS, Draws
from ..tokenizer import CLS_ID, PAD_ID, SEP_ID, Tokenizer

#: The book's example; the encoder-decoder demo reconstructs it from a corrupted copy.
DEMO_SENTENCE = "the puppies are frolicking outside the house ."

MIN_SENTENCE_TOKENS, MAX_SENTENCE_TOKENS = 5, 15
MIN_DOCUMENT_SENTENCES, MAX_DOCUMENT_SENTENCES = 3, 6


def _check_generator(generator: object) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"expected generator to be a torch.Generator or None, got {type(generator).__name__}")


def _check_count(name: str, value: object, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"expected {name} to be an int >= {minimum}, got {value!r}")


def vocabulary() -> list[str]:
    """Every word and punctuation mark the grammar can produce, sorted (no specials)."""
    return sorted(grammar.all_words())


def build_tokenizer() -> Tokenizer:
    """A tokenizer over the grammar's full vocabulary, so no corpus word is ever ``[UNK]``.

    Ids: the 15 specials first (``reference.tokenizer.SPECIAL_IDS``), then
    :func:`vocabulary` in sorted order; the same on every machine and seed.
    """
    return Tokenizer(vocabulary())


def _generate_document(draws: Draws, banned: frozenset[str]) -> tuple[str, list[str]]:
    """One document: (topic, sentences). Sentences in ``banned`` are drawn again."""
    topic = draws.choice(TOPICS)
    main = grammar.pick_subject(draws, topic)
    num_sentences = draws.integer(MIN_DOCUMENT_SENTENCES, MAX_DOCUMENT_SENTENCES)
    sentences: list[str] = []
    while len(sentences) < num_sentences:
        text = grammar.sentence(draws, topic, main, first=not sentences)
        if MIN_SENTENCE_TOKENS <= len(text.split()) <= MAX_SENTENCE_TOKENS and text not in banned:
            sentences.append(text)
    return topic, sentences


def generate_documents(num_documents: int, *, generator: torch.Generator | None = None) -> list[list[str]]:
    """``num_documents`` documents, each a list of 3 to 6 sentence strings.

    Words in a sentence are separated by single spaces ("the puppy is sleeping .").
    Deterministic given the generator's state; draws from nothing else.
    """
    _check_count("num_documents", num_documents)
    _check_generator(generator)
    draws = Draws(generator)
    return [_generate_document(draws, frozenset())[1] for _ in range(num_documents)]


@dataclass
class CourseCorpus:
    """Train and held-out documents of the course corpus, with their tokenizer.

    ``train`` / ``heldout``: lists of documents, a document a list of sentence strings.
    ``train_topics`` / ``heldout_topics``: each document's topic (one of :data:`TOPICS`).
    """

    train: list[list[str]]
    heldout: list[list[str]]
    train_topics: list[str]
    heldout_topics: list[str]
    tokenizer: Tokenizer
    seed: int

    def documents(self, split: str = "train") -> list[list[str]]:
        """The documents of ``split`` ("train" or "heldout")."""
        if split not in ("train", "heldout"):
            raise ValueError(f"expected split 'train' or 'heldout', got {split!r}")
        return self.train if split == "train" else self.heldout

    def sentences(self, split: str = "train") -> list[str]:
        """Every sentence of ``split``, document by document."""
        return [s for doc in self.documents(split) for s in doc]

    def labelled_sentences(self, split: str = "train") -> list[tuple[str, int]]:
        """(sentence, topic index) pairs: a sentence classification task for lesson 08."""
        topics = self.train_topics if split == "train" else self.heldout_topics
        return [(s, TOPICS.index(t)) for doc, t in zip(self.documents(split), topics, strict=True) for s in doc]

    def encode_sentences(self, split: str = "train") -> list[list[int]]:
        """Every sentence of ``split`` as ``[CLS] ... [SEP]`` ids (the MLM input format)."""
        return [encode_sentence(self.tokenizer, s) for s in self.sentences(split)]

    def encode_documents(self, split: str = "train", *, add_bos: bool = False,
                         add_eos: bool = False) -> list[list[int]]:
        """Every document of ``split`` as one flat id list (denoising and causal LM input)."""
        return [encode_document(self.tokenizer, d, add_bos=add_bos, add_eos=add_eos)
                for d in self.documents(split)]


def load_corpus(seed: int = 0, num_train: int = 2000, num_heldout: int = 200) -> CourseCorpus:
    """The course corpus for ``seed``: deterministic, splits disjoint, :data:`DEMO_SENTENCE` held out.

    Train and held-out documents come from two generators seeded ``2 * seed`` and
    ``2 * seed + 1``, so the held-out split does not change with ``num_train`` (except
    in the vanishingly rare case that a held-out document repeats a train one and is
    drawn again). ``heldout[0]`` is about puppies and starts with :data:`DEMO_SENTENCE`;
    train never contains that sentence.
    """
    _check_count("seed", seed)
    _check_count("num_train", num_train)
    _check_count("num_heldout", num_heldout, minimum=1)
    banned = frozenset({DEMO_SENTENCE})
    train_draws = Draws(torch.Generator().manual_seed(2 * seed))
    train = [_generate_document(train_draws, banned) for _ in range(num_train)]
    heldout_draws = Draws(torch.Generator().manual_seed(2 * seed + 1))
    seen = {tuple(doc) for _, doc in train}
    heldout = [_demo_document(heldout_draws)]
    while len(heldout) < num_heldout:
        topic, doc = _generate_document(heldout_draws, frozenset())
        if tuple(doc) not in seen:  # disjoint splits, even by accident
            heldout.append((topic, doc))
    return CourseCorpus(
        train=[d for _, d in train], heldout=[d for _, d in heldout],
        train_topics=[t for t, _ in train], heldout_topics=[t for t, _ in heldout],
        tokenizer=build_tokenizer(), seed=seed,
    )


def _demo_document(draws: Draws) -> tuple[str, list[str]]:
    """A puppies document that opens with :data:`DEMO_SENTENCE`."""
    main = grammar.Subject("animals", "puppy", "puppies", True, "they")
    sentences = [DEMO_SENTENCE]
    while len(sentences) < 4:
        text = grammar.sentence(draws, "animals", main, first=False)
        if MIN_SENTENCE_TOKENS <= len(text.split()) <= MAX_SENTENCE_TOKENS and text != DEMO_SENTENCE:
            sentences.append(text)
    return "animals", sentences


def encode_sentence(tokenizer: Tokenizer, sentence: str) -> list[int]:
    """``[CLS] w1 ... wn [SEP]`` ids of one sentence (BERT's single-segment input)."""
    return [CLS_ID, *tokenizer.encode(sentence), SEP_ID]


def encode_document(tokenizer: Tokenizer, document: Sequence[str], *, add_bos: bool = False,
                    add_eos: bool = False) -> list[int]:
    """One flat id list for a document; sentence ends are its "." tokens.

    Optionally ``<s>`` first and ``</s>`` last (BART's document format).
    """
    if isinstance(document, str) or len(document) == 0:
        raise ValueError("expected a document as a non-empty list of sentences, "
                         f"got {type(document).__name__} of length {len(document)}")
    return tokenizer.encode(" ".join(document), add_bos=add_bos, add_eos=add_eos)


def pad(sequences: Sequence[Sequence[int]], *, pad_id: int = PAD_ID, max_len: int | None = None) -> torch.Tensor:
    """Right-pad id lists into a ``(B, T)`` long tensor; ``T`` = longest (or ``max_len``, truncating)."""
    if len(sequences) == 0:
        raise ValueError("expected at least one sequence to pad, got none")
    if max_len is not None:
        _check_count("max_len", max_len, minimum=1)
    length = max_len if max_len is not None else max(len(s) for s in sequences)
    if length == 0:
        raise ValueError("expected at least one non-empty sequence, got only empty ones")
    out = torch.full((len(sequences), length), pad_id, dtype=torch.long)  # (B, T)
    for row, seq in enumerate(sequences):
        seq = list(seq)[:length]
        out[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out


def batches(sequences: Sequence[Sequence[int]], batch_size: int, *, shuffle: bool = True,
            drop_last: bool = False, pad_id: int = PAD_ID, max_len: int | None = None,
            generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
    """An iterator of padded ``(B, T)`` long batches of ``sequences`` (one pass, an epoch).

    ``shuffle`` orders the sequences by ``torch.randperm(generator=generator)``
    (drawn when this is called); each batch is padded to its own longest sequence
    (or ``max_len``, truncating). Arguments are checked here, not at the first batch.
    Peer: ``torch.utils.data.DataLoader(..., collate_fn=pad)``.
    """
    _check_count("batch_size", batch_size, minimum=1)
    _check_generator(generator)
    if len(sequences) == 0:
        raise ValueError("expected at least one sequence to batch, got none")
    order = (torch.randperm(len(sequences), generator=generator).tolist() if shuffle
             else list(range(len(sequences))))
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    return (pad([sequences[i] for i in order[start:start + batch_size]], pad_id=pad_id, max_len=max_len)
            for start in range(0, stop, batch_size))


__all__ = [
    "DEMO_SENTENCE", "TOPICS", "CourseCorpus", "batches", "build_tokenizer", "encode_document",
    "encode_sentence", "generate_documents", "load_corpus", "pad", "vocabulary",
]
