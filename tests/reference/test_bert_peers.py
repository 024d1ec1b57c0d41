"""reference.bert against Hugging Face, optional (skips without ``transformers``).

Modules come from small random configs, no downloads; everything runs in float64 with
dropout off. Checked: segment embeddings (``BertEmbeddings``), the pooler and NSP head
(``BertPooler``, ``BertOnlyNSPHead``), the QA head and loss (``BertForQuestionAnswering``),
the tagging loss (``BertForTokenClassification``) and longest-first truncation.
"""

import types

import pytest
import torch

from reference.bert import NSPHead, PairEmbedding, QAHead, pair_inputs, qa_loss, token_tagging_loss

transformers = pytest.importorskip("transformers")
modeling_bert = pytest.importorskip("transformers.models.bert.modeling_bert")
tokenization_python = pytest.importorskip("transformers.tokenization_python")

E = 8


def _config(**kw):
    return transformers.BertConfig(vocab_size=30, hidden_size=E, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=16, max_position_embeddings=12, hidden_dropout_prob=0.0,
                                   attention_probs_dropout_prob=0.0, **kw)


def test_pair_embedding_matches_bert_embeddings():
    """Token + position + segment, LayerNorm: equal to BertEmbeddings with the same weights."""
    torch.manual_seed(0)
    ours = PairEmbedding(30, E, max_len=12, dropout=0.0).double().eval()
    theirs = modeling_bert.BertEmbeddings(_config()).double().eval()
    with torch.no_grad():
        theirs.word_embeddings.weight.copy_(ours.token.weight)
        theirs.position_embeddings.weight.copy_(ours.position.weight)
        theirs.token_type_embeddings.weight.copy_(ours.segment.weight)
        theirs.LayerNorm.weight.copy_(torch.randn(E))
        theirs.LayerNorm.bias.copy_(torch.randn(E))
        ours.norm.load_state_dict(theirs.LayerNorm.state_dict())
    ids, types_ = pair_inputs(torch.tensor([20, 21, 22]), torch.tensor([25, 26]), 10)
    got = ours(ids[None], types_[None])
    want = theirs(input_ids=ids[None], token_type_ids=types_[None])
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


def test_nsp_head_matches_bert_pooler_and_nsp_head():
    """tanh(dense([CLS])) then seq_relationship: equal to BertPooler + BertOnlyNSPHead."""
    torch.manual_seed(0)
    ours = NSPHead(E).double()
    pooler, nsp = modeling_bert.BertPooler(_config()).double(), modeling_bert.BertOnlyNSPHead(_config()).double()
    pooler.dense.load_state_dict(ours.pooler.state_dict())
    nsp.seq_relationship.load_state_dict(ours.classifier.state_dict())
    h = torch.randn(3, 5, E, dtype=torch.float64)
    torch.testing.assert_close(ours(h), nsp(pooler(h)), rtol=1e-12, atol=1e-12)


def test_qa_head_and_loss_match_bert_for_question_answering():
    """qa_outputs split into start and end logits, loss (start + end) / 2, as in HF."""
    torch.manual_seed(0)
    model = modeling_bert.BertForQuestionAnswering(_config(num_labels=2)).double().eval()
    ours = QAHead(E).double()
    ours.qa_outputs.load_state_dict(model.qa_outputs.state_dict())
    ids = torch.randint(5, 30, (2, 7))
    sp, ep = torch.tensor([1, 3]), torch.tensor([2, 5])
    out = model(input_ids=ids, start_positions=sp, end_positions=ep, output_hidden_states=True)
    s, e = ours(out.hidden_states[-1])
    torch.testing.assert_close(s, out.start_logits)
    torch.testing.assert_close(e, out.end_logits)
    torch.testing.assert_close(qa_loss(s, e, sp, ep), out.loss)


def test_tagging_loss_matches_bert_for_token_classification():
    """The mean over tokens whose label is not -100, as HF's token-classification loss."""
    torch.manual_seed(0)
    model = modeling_bert.BertForTokenClassification(_config(num_labels=4)).double().eval()
    ids = torch.randint(5, 30, (2, 6))
    labels = torch.randint(0, 4, (2, 6))
    labels[:, 0] = labels[1, 4:] = -100
    out = model(input_ids=ids, labels=labels)
    torch.testing.assert_close(token_tagging_loss(out.logits, labels), out.loss)


@pytest.mark.parametrize("len_a, len_b, max_len", [(10, 3, 10), (4, 9, 9), (6, 6, 10), (7, 6, 10), (2, 2, 8)])
def test_truncation_matches_longest_first(len_a, len_b, max_len):
    """Our one-token-at-a-time truncation keeps what HF's "longest_first" keeps."""
    a, b = torch.arange(100, 100 + len_a), torch.arange(200, 200 + len_b)
    fake = types.SimpleNamespace(truncation_side="right")
    remove = max(0, len_a + len_b + 3 - max_len)
    ha, hb, _ = tokenization_python.PythonBackend.truncate_sequences(
        fake, a.tolist(), b.tolist(), num_tokens_to_remove=remove, truncation_strategy="longest_first")
    ids, _ = pair_inputs(a, b, max_len)
    assert ids.tolist() == [2, *ha, 3, *hb, 3]
