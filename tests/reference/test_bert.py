"""reference.bert (lesson 10): pair inputs, NSP pairs and head, task heads, layer features."""

import pytest
import torch
import torch.nn.functional as F

from reference.bert import (
    NSPHead,
    PairEmbedding,
    QAHead,
    best_span,
    last_four_layers,
    layer_hidden_states,
    make_nsp_pairs,
    pair_inputs,
    pretraining_loss,
    qa_loss,
    token_tagging_loss,
    truncate_pair,
)
from reference.layers import Encoder
from reference.mlm import mlm_loss


def _ids(*xs):
    return torch.tensor(xs, dtype=torch.long)


def test_pair_inputs_layout_and_types():
    """[CLS] A [SEP] B [SEP]; token types 0 up to the first [SEP], 1 after it."""
    ids, types = pair_inputs(_ids(20, 21), _ids(30, 31, 32), 16)
    assert ids.tolist() == [2, 20, 21, 3, 30, 31, 32, 3]
    assert types.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert ids.dtype == types.dtype == torch.long


def test_truncation_removes_from_the_longer_segment_then_alternates():
    """The longer segment loses tokens from its end first; at equal lengths B loses one."""
    a, b = truncate_pair(torch.arange(10), torch.arange(100, 103), 7)
    assert a.tolist() == [0, 1, 2, 3] and b.tolist() == [100, 101, 102]
    a, b = truncate_pair(torch.arange(5), torch.arange(100, 105), 7)
    assert (len(a), len(b)) == (4, 3)
    ids, _ = pair_inputs(torch.arange(15, 40), torch.arange(50, 60), 12)
    assert len(ids) == 12


def test_pair_inputs_rejects_a_length_without_room_for_specials():
    """max_len below 3 cannot hold [CLS] and two [SEP]."""
    with pytest.raises(ValueError, match="max_len"):
        pair_inputs(_ids(20), _ids(21), 2)


def test_pair_embedding_adds_a_segment_vector():
    """Changing only the token types changes the embedding by the segment rows."""
    torch.manual_seed(0)
    emb = PairEmbedding(30, 8, max_len=10, dropout=0.0)
    ids = _ids(2, 20, 3, 21, 3)[None]
    with torch.no_grad():
        emb.norm.weight.fill_(1.0)
        emb.norm.bias.zero_()
    zero = emb(ids)
    mixed = emb(ids, _ids(0, 0, 0, 1, 1)[None])
    assert torch.allclose(zero[:, :3], mixed[:, :3]) and not torch.allclose(zero[:, 3:], mixed[:, 3:])


def _documents(num_docs=30, per_doc=20):
    return [[[1000 * d + i] for i in range(per_doc)] for d in range(num_docs)]


def test_nsp_pairs_invariants():
    """Every sentence but a document's last is an A, in order; IsNext B follows A; NotNext B
    comes from another document; the same seed gives the same pairs."""
    docs = _documents()
    pairs = make_nsp_pairs(docs, generator=torch.Generator().manual_seed(1))
    assert pairs == make_nsp_pairs(docs, generator=torch.Generator().manual_seed(1))
    assert pairs != make_nsp_pairs(docs, generator=torch.Generator().manual_seed(2))
    assert [a for a, _, _ in pairs] == [s for doc in docs for s in doc[:-1]]
    for a, b, label in pairs:
        if label == 0:
            assert b[0] == a[0] + 1
        else:
            assert b[0] // 1000 != a[0] // 1000


def test_nsp_pairs_half_are_next():
    """The IsNext rate is 1/2 within 5 standard errors (570 pairs)."""
    pairs = make_nsp_pairs(_documents(), generator=torch.Generator().manual_seed(3))
    rate = sum(label == 0 for _, _, label in pairs) / len(pairs)
    assert abs(rate - 0.5) < 5 * (0.25 / len(pairs)) ** 0.5


def test_nsp_pairs_need_two_documents():
    """One document has no other document to draw NotNext sentences from."""
    with pytest.raises(ValueError, match="at least 2 documents"):
        make_nsp_pairs([[[1], [2]]])


def test_nsp_head_reads_cls_through_tanh():
    """The logits are classifier(tanh(pooler(hidden[:, 0]))); other positions do not matter."""
    torch.manual_seed(0)
    head = NSPHead(6)
    h = torch.randn(3, 5, 6)
    expected = head.classifier(torch.tanh(head.pooler(h[:, 0])))
    torch.testing.assert_close(head(h), expected)
    h2 = h.clone()
    h2[:, 1:] = 0
    torch.testing.assert_close(head(h2), expected)


def test_pretraining_loss_is_the_sum():
    """MLM loss plus NSP loss, not their mean."""
    torch.manual_seed(0)
    logits, labels = torch.randn(2, 5, 11), torch.full((2, 5), -100)
    labels[0, 1], labels[1, 3] = 4, 7
    nsp, nsp_labels = torch.randn(2, 2), _ids(0, 1)
    total = pretraining_loss(logits, labels, nsp, nsp_labels)
    torch.testing.assert_close(total, mlm_loss(logits, labels) + F.cross_entropy(nsp, nsp_labels))


def test_tagging_loss_ignores_minus_100():
    """Only tagged tokens count; with none the loss is 0."""
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 3)
    labels = _ids(-100, 1, 2, -100, -100, 0, -100, -100).view(2, 4)
    expected = F.cross_entropy(logits[labels != -100], labels[labels != -100])
    torch.testing.assert_close(token_tagging_loss(logits, labels), expected)
    assert float(token_tagging_loss(logits, torch.full((2, 4), -100))) == 0.0


def test_qa_loss_and_head():
    """The mean of the start and end cross-entropies; the head splits E -> 2."""
    torch.manual_seed(0)
    head = QAHead(6)
    s, e = head(torch.randn(2, 7, 6))
    assert s.shape == e.shape == (2, 7)
    sp, ep = _ids(1, 2), _ids(3, 2)
    torch.testing.assert_close(qa_loss(s, e, sp, ep), (F.cross_entropy(s, sp) + F.cross_entropy(e, ep)) / 2)


def test_best_span_respects_order_length_and_context():
    """end >= start, at most max_answer_len tokens, both ends in the paragraph."""
    start = torch.tensor([[0.0, 0, 0, 0, 9, 0, 0, 0], [0.0, 0, 5, 0, 0, 0, 0, 0]])
    end = torch.tensor([[0.0, 8, 0, 0, 0, 1, 0, 3], [0.0, 0, 0, 0, 0, 0, 0, 6]])
    ctx = torch.ones(2, 8, dtype=torch.bool)
    ctx[:, :2] = False
    s, e = best_span(start, end, ctx, 3)
    assert s.tolist() == [4, 5] and e.tolist() == [5, 7]
    s, e = best_span(start, end, ctx, 6)
    assert s.tolist() == [4, 2] and e.tolist() == [7, 7]


def test_brute_force_agrees_with_best_span():
    """A loop over every valid (i, j) finds the same span."""
    gen = torch.Generator().manual_seed(0)
    start, end = torch.randn(5, 9, generator=gen), torch.randn(5, 9, generator=gen)
    ctx = torch.rand(5, 9, generator=gen) < 0.7
    ctx[:, 8] = True
    s, e = best_span(start, end, ctx, 4)
    for b in range(5):
        best = max((float(start[b, i] + end[b, j]), i, j) for i in range(9) for j in range(i, min(9, i + 4))
                   if ctx[b, i] and ctx[b, j])
        assert (int(s[b]), int(e[b])) == best[1:]


def test_last_four_layers_concat_and_sum():
    """Concatenation of the last four layer outputs in order, or their sum; the last state
    is the encoder's own output."""
    torch.manual_seed(0)
    enc = Encoder(5, 8, 2, 16, dropout=0.0, activation="gelu").eval()
    x = torch.randn(2, 3, 8)
    states = layer_hidden_states(enc, x)
    torch.testing.assert_close(states[-1], enc(x))
    cat = last_four_layers(enc, x)
    assert cat.shape == (2, 3, 32)
    torch.testing.assert_close(cat[..., :8], states[1])
    torch.testing.assert_close(last_four_layers(enc, x, combine="sum"), sum(states[1:]))


def test_last_four_layers_rejects_a_shallow_encoder():
    """Fewer than four layers have no last four."""
    enc = Encoder(3, 8, 2, 16)
    with pytest.raises(ValueError, match="at least 4 layers"):
        last_four_layers(enc, torch.randn(1, 2, 8))
