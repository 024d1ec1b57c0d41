"""The hyper-parameters shared by every reference model (lessons 04 to 08).

Book: *Foundations of LLMs* ch. 1 and 2 describe models by the same few sizes:
hidden size d (``d_model``), heads, feed-forward width, number of layers,
vocabulary. Peer: Hugging Face ``BertConfig`` / ``BartConfig`` (``hidden_size``,
``num_attention_heads``, ``intermediate_size``, ``encoder_layers`` ...) and the
constructor arguments of ``torch.nn.Transformer``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_choice, check_positive_int, check_probability
from ..embeddings import POSITIONAL_KINDS
from ..layers import ACTIVATIONS
from ..tokenizer import PAD_ID


@dataclass
class TransformerConfig:
    """Sizes and switches of a model. Only ``vocab_size`` has no default.

    - ``d_model``, ``num_heads``, ``d_ff``: width, heads (must divide d_model), FFN width.
    - ``num_encoder_layers``: layers of MaskedLM / SequenceClassifier / the
      EncoderDecoder encoder; ``num_decoder_layers``: layers of the
      EncoderDecoder decoder and of CausalLM. A model builds only the stacks it uses.
    - ``max_len``: the most positions a model can read (positional table size).
    - ``dropout``: everywhere (embeddings, attention weights, sub-layers, heads).
    - ``activation`` ("relu" | "gelu"), ``norm_first`` (pre-norm when True),
      ``positional`` ("sinusoidal" | "learned"), ``layer_norm_eps``.
    - ``pad_id``: padding masks are derived from it when none is given.
    - ``num_labels``: classes of SequenceClassifier.
    - ``tie_embeddings``: the output projection shares the token embedding matrix.
    """

    vocab_size: int
    d_model: int = 64
    num_heads: int = 4
    d_ff: int = 256
    num_encoder_layers: int = 2
    num_decoder_layers: int = 2
    max_len: int = 128
    dropout: float = 0.1
    activation: str = "gelu"
    norm_first: bool = False
    positional: str = "sinusoidal"
    pad_id: int = PAD_ID
    layer_norm_eps: float = 1e-5
    num_labels: int = 2
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "num_heads", "d_ff", "num_encoder_layers",
                     "num_decoder_layers", "max_len", "num_labels"):
            check_positive_int(getattr(self, name), name)
        if self.d_model % self.num_heads != 0:
            raise ValueError(f"expected d_model divisible by num_heads, got d_model={self.d_model}, "
                             f"num_heads={self.num_heads}")
        check_probability(self.dropout, "dropout")
        check_choice(self.activation, "activation", tuple(ACTIVATIONS))
        check_choice(self.positional, "positional", POSITIONAL_KINDS)
        if isinstance(self.pad_id, bool) or not isinstance(self.pad_id, int) \
                or not 0 <= self.pad_id < self.vocab_size:
            raise ValueError(f"expected pad_id in [0, {self.vocab_size}), got {self.pad_id!r}")
        if not isinstance(self.layer_norm_eps, (int, float)) or not self.layer_norm_eps > 0:
            raise ValueError(f"expected layer_norm_eps > 0, got {self.layer_norm_eps!r}")
        for name in ("norm_first", "tie_embeddings"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"expected {name} to be a bool, got {getattr(self, name)!r}")
