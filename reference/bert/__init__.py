"""BERT complete (lesson 10): sentence pairs, next-sentence prediction and task heads.

Book: *Foundations of LLMs* ch. 1, "BERT as an Illustrative Example of Pre-training
and Application"; Devlin et al. 2019 (BERT), sec. 3 and 4, and Google's released BERT
code (``create_pretraining_data.py``, ``run_classifier.py``, ``run_squad.py``).

One concept per module:

- :mod:`.pairs`: ``[CLS] A [SEP] B [SEP]`` inputs with token-type ids, longest-first
  truncation, and the embedding that adds a segment vector (peer ``BertEmbeddings``);
- :mod:`.nsp`: next-sentence prediction pairs, the pooler and NSP head (peers
  ``BertPooler``, ``BertOnlyNSPHead``) and the pre-training loss MLM + NSP;
- :mod:`.heads`: the fine-tuning heads and losses: token tagging
  (``BertForTokenClassification``), extractive question answering
  (``BertForQuestionAnswering``) and the decoding of the best answer span;
- :mod:`.features`: per-layer hidden states and the features of the last four layers
  (the paper's feature-based NER, sec. 5.3).
"""

from reference.bert.features import last_four_layers, layer_hidden_states
from reference.bert.heads import QAHead, best_span, qa_loss, token_tagging_loss
from reference.bert.nsp import NSPHead, make_nsp_pairs, nsp_loss, pretraining_loss
from reference.bert.pairs import PairEmbedding, pair_inputs, truncate_pair

__all__ = ["NSPHead", "PairEmbedding", "QAHead", "best_span", "last_four_layers",
           "layer_hidden_states", "make_nsp_pairs", "nsp_loss", "pair_inputs", "pretraining_loss",
           "qa_loss", "token_tagging_loss", "truncate_pair"]
