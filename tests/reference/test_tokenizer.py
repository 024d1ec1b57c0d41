"""Tests for reference.tokenizer: fixed special ids, word splitting, encode/decode, padding."""

import pytest
import torch

from reference.tokenizer import (
    BOS_ID,
    CLS_ID,
    EOS_ID,
    MASK_ID,
    PAD_ID,
    SENTINEL_IDS,
    SENTINELS,
    SEP_ID,
    SPECIAL_IDS,
    SPECIAL_TOKENS,
    UNK_ID,
    Tokenizer,
    split_words,
)

SENTENCE = "the puppies are frolicking outside the house ."


@pytest.fixture
def tok() -> Tokenizer:
    return Tokenizer.from_texts([SENTENCE, "the kitten is sleeping ."])


def test_special_ids_are_fixed():
    """The contract every module relies on: [PAD]=0, [UNK]=1, ... </s>=6, sentinels 7..14."""
    assert (PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3, 4, 5, 6)
    assert SENTINEL_IDS == tuple(range(7, 15))
    assert SPECIAL_IDS == tuple(range(15))
    assert SPECIAL_TOKENS[:7] == ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<s>", "</s>")
    assert SENTINELS[0] == "<extra_id_0>" and SENTINELS[-1] == "<extra_id_7>"


def test_special_tokens_map_to_their_ids(tok):
    """Every special token string encodes to its fixed id in any tokenizer."""
    for idx, token in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(token) == idx
        assert tok.id_to_token(idx) == token


def test_split_words_separates_punctuation_and_keeps_specials():
    """Punctuation is its own token, words are lower-cased, special tokens keep their spelling."""
    assert split_words("The Puppies, are [MASK] here.") == ["the", "puppies", ",", "are", "[MASK]", "here", "."]
    assert split_words("<s> a <extra_id_3> b </s>") == ["<s>", "a", "<extra_id_3>", "b", "</s>"]


def test_split_words_rejects_non_strings():
    """A non-str argument is a ValueError naming the type."""
    with pytest.raises(ValueError, match="expected a str, got list"):
        split_words(["the"])


def test_round_trip(tok):
    """decode(encode(s)) gives s back for in-vocabulary text."""
    assert tok.decode(tok.encode(SENTENCE)) == SENTENCE


def test_encode_adds_cls_bos_eos(tok):
    """add_cls / add_bos put their id first, add_eos puts </s> last."""
    ids = tok.encode(SENTENCE)
    assert tok.encode(SENTENCE, add_cls=True) == [CLS_ID, *ids]
    assert tok.encode(SENTENCE, add_bos=True, add_eos=True) == [BOS_ID, *ids, EOS_ID]


def test_unknown_words_encode_to_unk(tok):
    """A word outside the vocabulary becomes [UNK]."""
    assert tok.encode("the zebra") == [tok.token_to_id("the"), UNK_ID]


def test_decode_drops_pad_and_optionally_specials(tok):
    """[PAD] is always dropped; other specials only with skip_special_tokens."""
    ids = [CLS_ID, *tok.encode("the house"), SEP_ID, PAD_ID, PAD_ID]
    assert tok.decode(ids) == "[CLS] the house [SEP]"
    assert tok.decode(torch.tensor(ids), skip_special_tokens=True) == "the house"


def test_decode_errors(tok):
    """A 2-D tensor or an id outside the vocabulary is a ValueError."""
    with pytest.raises(ValueError, match="1-D tensor"):
        tok.decode(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"expected an id in \[0, "):
        tok.decode([tok.vocab_size])


def test_from_texts_orders_by_frequency_and_respects_min_count():
    """Most frequent words get the smallest ids after the specials; rare words can be cut."""
    t = Tokenizer.from_texts(["b a a", "a c b"], min_count=2)
    assert t.itos[len(SPECIAL_TOKENS):] == ["a", "b"]
    assert t.vocab_size == len(t) == len(SPECIAL_TOKENS) + 2


def test_constructor_rejects_duplicates_and_skips_specials():
    """Duplicate words are an error; special token strings are not added twice."""
    with pytest.raises(ValueError, match="distinct words"):
        Tokenizer(["a", "a"])
    assert Tokenizer(["[MASK]", "a"]).itos[len(SPECIAL_TOKENS):] == ["a"]


def test_pad_batch(tok):
    """Right padding with [PAD] to the longest sequence, or truncation at max_len."""
    batch = tok.pad_batch([[7, 8, 9], [10]])
    assert batch.dtype == torch.long
    assert batch.tolist() == [[7, 8, 9], [10, PAD_ID, PAD_ID]]
    assert tok.pad_batch([[7, 8, 9], [10]], max_len=2).tolist() == [[7, 8], [10, PAD_ID]]
    with pytest.raises(ValueError, match="at least one sequence"):
        tok.pad_batch([])
