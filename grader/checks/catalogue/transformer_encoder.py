"""Lesson 03's references and mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate: when the candidate's output matches a mistake's, the feedback names
that mistake. Within an exercise the order matters only where two mistakes agree
on a case (``norm_first_ignored`` and ``norm_order_swapped`` agree on the
pre-norm case; the one that passes the post-norm case comes first); the tests
check that each one is diagnosed as itself.

The references are ``reference.embeddings`` and ``reference.layers``. The
residual-and-norm wiring has no function of its own there (``EncoderLayer`` does it
inline), so :func:`sublayer_connection` below states it, and the tests check that
``reference.layers.EncoderLayer`` is exactly two such connections.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from reference.embeddings import TransformerEmbedding
from reference.embeddings import sinusoidal_positional_encoding as _reference_pe
from reference.layers import ACTIVATIONS, Encoder, EncoderLayer, FeedForward

from . import Entry, mistake

ID = "03_transformer_encoder"


# --------------------------------------------------------------------------- sinusoid


def sinusoidal_positional_encoding(max_len, d_model):
    """The reference table, computed and returned in float64 (the grader's precision)."""
    return _reference_pe(max_len, d_model, dtype=torch.float64)


def _table(max_len, d_model, *, exponent="2i", sign=-1.0, first_position=0, layout="interleaved",
           even=torch.sin, odd=torch.cos):
    """A configurable sinusoid in float64; each mistake below turns one switch.

    ``exponent``: "2i" (the right one: dims 2i and 2i+1 share 10000^(2i/d)), "i" (the
    pair index over d) or "dim" (every dim j its own 10000^(j/d)).
    """
    pos = torch.arange(first_position, first_position + max_len, dtype=torch.float64)[:, None]
    if exponent == "dim":
        j = torch.arange(d_model, dtype=torch.float64)
        angle = pos * 10000.0 ** (sign * j / d_model)  # (L, d)
        pe = torch.where(j.long() % 2 == 0, even(angle), odd(angle))
        return pe
    pairs = torch.arange((d_model + 1) // 2, dtype=torch.float64)  # i = 0 .. ceil(d/2) - 1
    power = 2 * pairs / d_model if exponent == "2i" else pairs / d_model
    angle = pos * 10000.0 ** (sign * power)  # (L, ceil(d/2))
    if layout == "halves":
        return torch.cat([even(angle), odd(angle[:, : d_model // 2])], dim=1)
    pe = torch.empty(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = even(angle)
    pe[:, 1::2] = odd(angle[:, : d_model // 2])
    return pe


@mistake("sin_cos_swapped", "even dimensions (0, 2, 4, ...) hold the sine and odd dimensions "
         "the cosine: PE(pos, 2i) = sin(...), PE(pos, 2i+1) = cos(...). Row 0 must read "
         "0, 1, 0, 1, ...")
def pe_swapped(max_len, d_model):
    return _table(max_len, d_model, even=torch.cos, odd=torch.sin)


@mistake("sin_cos_concatenated", "sines and cosines are interleaved, not concatenated: "
         "column 2i is the sine and column 2i+1 the cosine of the same frequency "
         "(pe[:, 0::2] = sin, pe[:, 1::2] = cos), not all sines then all cosines.")
def pe_halves(max_len, d_model):
    return _table(max_len, d_model, layout="halves")


@mistake("exponent_i_over_d", "the exponent is 2i / d_model where i numbers the PAIRS of "
         "dimensions: dims 2i and 2i+1 use 10000^(2i/d_model), i.e. the even dimension index "
         "over d_model (torch.arange(0, d_model, 2) / d_model). With i / d_model the "
         "wavelengths grow only to 10000^(1/2).")
def pe_exponent_i(max_len, d_model):
    return _table(max_len, d_model, exponent="i")


@mistake("exponent_per_dimension", "the two dimensions of a pair share one frequency: dims 2i "
         "and 2i+1 both use 10000^(2i/d_model); giving dimension j its own 10000^(j/d_model) "
         "shifts the frequency of every cosine.")
def pe_exponent_per_dim(max_len, d_model):
    return _table(max_len, d_model, exponent="dim")


@mistake("frequency_inverted", "divide the position by 10000^(2i/d_model) (multiply by "
         "exp(-2i * ln(10000) / d_model), note the minus sign): the frequencies go DOWN from 1 "
         "to about 1/10000 along the dimensions.")
def pe_inverted(max_len, d_model):
    return _table(max_len, d_model, sign=1.0)


@mistake("positions_start_at_1", "positions count from 0: row 0 of the table is "
         "sin(0), cos(0), ... = 0, 1, 0, 1, ... (torch.arange(max_len)).")
def pe_from_one(max_len, d_model):
    return _table(max_len, d_model, first_position=1)


@mistake("transposed", "the table has one row per position: shape (max_len, d_model).")
def pe_transposed(max_len, d_model):
    return _table(max_len, d_model).T


@mistake("odd_d_model_fails", "d_model may be odd: there are ceil(d_model / 2) sine columns "
         "(0, 2, 4, ...) but only d_model // 2 cosine columns (1, 3, ...), so take the angles "
         "of the first d_model // 2 frequencies for the cosines.")
def pe_odd_fails(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    angle = pos / 10000.0 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)  # one column too many when d_model is odd
    return pe


PE_MISTAKES = (pe_swapped, pe_halves, pe_exponent_i, pe_exponent_per_dim, pe_inverted, pe_from_one,
               pe_transposed, pe_odd_fails)


# --------------------------------------------------------------------------- embedding


class _Embedding(TransformerEmbedding):
    """The reference's modules; ``forward`` pieced together from parts the mistakes replace."""

    def tokens(self, input_ids):
        return self.token(input_ids) * self.scale  # (B, T, E)

    def forward(self, input_ids):
        return self.dropout(self.tokens(input_ids) + self.positions(input_ids.size(1)))


@mistake("missing_scale", "multiply the token embeddings by sqrt(d_model) before adding the "
         "positions (Vaswani et al. sec. 3.4), so tokens and positions start at a similar size.")
class EmbNoScale(_Embedding):
    def tokens(self, input_ids):
        return self.token(input_ids)


@mistake("scaled_after_adding", "only the token embeddings are scaled: "
         "x = sqrt(d_model) * token(ids) + positions, not sqrt(d_model) * (token + positions).")
class EmbScaleAfterAdding(_Embedding):
    def forward(self, input_ids):
        x = self.token(input_ids) + self.positions(input_ids.size(1))
        return self.dropout(x * self.scale)


@mistake("divided_by_scale", "MULTIPLY the token embeddings by sqrt(d_model) "
         "(math.sqrt(d_model)); dividing makes them smaller than the positions.")
class EmbDivided(_Embedding):
    def tokens(self, input_ids):
        return self.token(input_ids) / self.scale


@mistake("positions_not_added", "add the positional vectors of positions 0 .. T-1 to the "
         "scaled token embeddings; without them the encoder cannot tell word order.")
class EmbNoPositions(_Embedding):
    def forward(self, input_ids):
        return self.dropout(self.tokens(input_ids))


@mistake("positions_from_token_ids", "positions are 0, 1, ..., T-1 (the index of each token in "
         "its sequence, torch.arange(T)), not the token ids: take the first T rows of the "
         "position table.")
class EmbPositionsFromIds(_Embedding):
    def forward(self, input_ids):
        table = self.position.weight if self.position is not None else self.pe
        return self.dropout(self.tokens(input_ids) + table[input_ids])


@mistake("padding_idx_missing", "create the token embedding with padding_idx=pad_id: the [PAD] "
         "vector then gets no gradient and stays what it is. The values are right; the gradient "
         "of the [PAD] row is not zero.")
class EmbNoPaddingIdx(_Embedding):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.token.padding_idx = None


@mistake("padding_idx_hardcoded", "use the pad_id argument (padding_idx=pad_id), not 0: here "
         "[PAD] is another id and id 0 is a real token whose vector must be trained.")
class EmbPaddingIdxZero(_Embedding):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.token.padding_idx = 0


@mistake("learned_table_always", "create the learned table self.position = "
         "nn.Embedding(max_len, d_model) only when positional='learned'; with 'sinusoidal' the "
         "positions are the fixed table (a buffer, or a tensor computed in forward), not a "
         "parameter, and self.position is None.")
class EmbAlwaysLearned(_Embedding):
    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__(vocab_size, d_model, max_len, "learned", dropout, pad_id)


EMBEDDING_MISTAKES = (EmbNoScale, EmbScaleAfterAdding, EmbDivided, EmbNoPositions, EmbPositionsFromIds,
                      EmbNoPaddingIdx, EmbPaddingIdxZero, EmbAlwaysLearned)


# --------------------------------------------------------------------------- feed-forward


class _FF(FeedForward):
    def act(self, h):
        return ACTIVATIONS[self.activation](h)


@mistake("activation_after_linear2", "the activation goes BETWEEN the two linear maps: "
         "linear2(act(linear1(x))). Applied after linear2 it clips the layer's output instead.")
class FFActAfter(_FF):
    def forward(self, x):
        return self.act(self.linear2(self.linear1(x)))


@mistake("activation_missing", "apply the activation between linear1 and linear2: without it "
         "the two linear maps collapse into one.")
class FFNoAct(_FF):
    def forward(self, x):
        return self.linear2(self.linear1(x))


@mistake("activation_ignored", "use the activation argument ('relu' -> F.relu, 'gelu' -> "
         "F.gelu), not always ReLU.")
class FFAlwaysRelu(_FF):
    def forward(self, x):
        return self.linear2(F.relu(self.linear1(x)))


@mistake("gelu_tanh_approximation", "use the exact GELU, F.gelu(x) (nn.GELU() with its default "
         "approximate='none'); the tanh approximation differs slightly.")
class FFGeluTanh(_FF):
    def act(self, h):
        return F.gelu(h, approximate="tanh") if self.activation == "gelu" else F.relu(h)

    def forward(self, x):
        return self.linear2(self.act(self.linear1(x)))


@mistake("activation_on_input", "the order is linear1, then the activation, then linear2.")
class FFActFirst(_FF):
    def forward(self, x):
        return self.linear2(self.linear1(self.act(x)))


@mistake("residual_inside_feed_forward", "FeedForward returns linear2(act(linear1(x))) only: "
         "the residual x + ... is added by the sub-layer connection around it, not inside.")
class FFResidual(_FF):
    def forward(self, x):
        return x + self.linear2(self.act(self.linear1(x)))


FF_MISTAKES = (FFActAfter, FFNoAct, FFAlwaysRelu, FFGeluTanh, FFActFirst, FFResidual)


# --------------------------------------------------------------------------- sublayer connection


def sublayer_connection(x, sublayer, norm, norm_first=False):
    """Post-norm norm(x + sublayer(x)) (Vaswani et al.) or pre-norm x + sublayer(norm(x))."""
    if norm_first:
        return x + sublayer(norm(x))
    return norm(x + sublayer(x))


@mistake("norm_first_ignored", "norm_first=True asks for pre-norm: x + sublayer(norm(x)) (the "
         "residual path stays un-normalised); post-norm norm(x + sublayer(x)) is only for "
         "norm_first=False.")
def conn_always_post(x, sublayer, norm, norm_first=False):
    return norm(x + sublayer(x))


@mistake("norm_order_swapped", "the two orders are the other way round: post-norm "
         "(norm_first=False) is norm(x + sublayer(x)), pre-norm (norm_first=True) is "
         "x + sublayer(norm(x)).")
def conn_swapped(x, sublayer, norm, norm_first=False):
    return sublayer_connection(x, sublayer, norm, not norm_first)


@mistake("missing_residual", "add the sub-layer's input back (the skip connection): "
         "x + sublayer(...), inside the norm for post-norm, outside for pre-norm.")
def conn_no_residual(x, sublayer, norm, norm_first=False):
    return sublayer(norm(x)) if norm_first else norm(sublayer(x))


@mistake("residual_from_normalised_input", "in pre-norm the residual adds the ORIGINAL x: "
         "x + sublayer(norm(x)). Adding norm(x) instead means the stream is re-normalised at "
         "every layer and the identity path is lost.")
def conn_residual_normed(x, sublayer, norm, norm_first=False):
    if norm_first:
        h = norm(x)
        return h + sublayer(h)
    return norm(x + sublayer(x))


@mistake("norm_on_sublayer_output", "post-norm normalises the SUM: norm(x + sublayer(x)), "
         "not only the sub-layer's output (x + norm(sublayer(x))).")
def conn_norm_on_output(x, sublayer, norm, norm_first=False):
    if norm_first:
        return x + sublayer(norm(x))
    return x + norm(sublayer(x))


@mistake("pre_norm_output_normalised", "pre-norm normalises only the sub-layer's INPUT: "
         "x + sublayer(norm(x)), with no norm around the sum.")
def conn_pre_norm_twice(x, sublayer, norm, norm_first=False):
    if norm_first:
        return norm(x + sublayer(norm(x)))
    return norm(x + sublayer(x))


CONNECTION_MISTAKES = (conn_always_post, conn_swapped, conn_no_residual, conn_residual_normed,
                       conn_norm_on_output, conn_pre_norm_twice)


# --------------------------------------------------------------------------- encoder layer


class _Layer(EncoderLayer):
    """The reference layer; ``forward`` pieced together from parts the mistakes replace."""

    def sa(self, x, mask):
        return self.self_attn(x, x, x, mask)[0]

    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("missing_residual_attention", "the attention sub-layer needs its skip connection too: "
         "post-norm x = norm1(x + attention(x)), pre-norm x = x + attention(norm1(x)).")
class LayerNoResidualAttn(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("missing_residual_ff", "the feed-forward sub-layer needs its skip connection too: "
         "post-norm x = norm2(x + ff(x)), pre-norm x = x + ff(norm2(x)).")
class LayerNoResidualFF(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return self.ff(self.norm2(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(self.ff(x))


@mistake("norm_first_ignored", "norm_first=True asks for pre-norm: x = x + attention(norm1(x)); "
         "x = x + ff(norm2(x)). Post-norm is only for norm_first=False.")
class LayerAlwaysPost(_Layer):
    def forward(self, x, mask=None):
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("norm_order_swapped", "the two orders are the other way round: post-norm "
         "(norm_first=False) is x = norm(x + sublayer(x)), pre-norm is x = x + sublayer(norm(x)).")
class LayerSwapped(_Layer):
    def forward(self, x, mask=None):
        if not self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("same_norm_twice", "each sub-layer has its own LayerNorm: norm1 around attention, "
         "norm2 around the feed-forward network (their weights differ).")
class LayerOneNorm(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm1(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm1(x + self.ff(x))


@mistake("mask_ignored", "pass the mask to self-attention (self_attn(x, x, x, mask)): padding "
         "positions must get no attention.")
class LayerNoMask(_Layer):
    def sa(self, x, mask):
        return self.self_attn(x, x, x, None)[0]


@mistake("mask_inverted", "pass the mask as it is: in this course True means 'may attend' "
         "(nn.MultiheadAttention uses the opposite, but MultiHeadAttention here does not).")
class LayerMaskInverted(_Layer):
    def sa(self, x, mask):
        return self.self_attn(x, x, x, None if mask is None else ~mask)[0]


@mistake("ff_reads_layer_input", "the feed-forward sub-layer reads the OUTPUT of the attention "
         "sub-layer (after its residual and norm), not the layer's input.")
class LayerFFOnInput(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            h = x + self.sa(self.norm1(x), mask)
            return h + self.ff(self.norm2(x))
        h = self.norm1(x + self.sa(x, mask))
        return self.norm2(h + self.ff(x))


@mistake("residual_from_normalised_input", "in pre-norm the residual adds the un-normalised "
         "x: x = x + attention(norm1(x)), not norm1(x) + attention(norm1(x)).")
class LayerResidualNormed(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            h = self.norm1(x)
            x = h + self.sa(h, mask)
            h = self.norm2(x)
            return h + self.ff(h)
        return super().forward(x, mask)


@mistake("layer_norm_eps_ignored", "pass layer_norm_eps to both LayerNorms: "
         "nn.LayerNorm(d_model, eps=layer_norm_eps).")
class LayerDefaultEps(_Layer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm1.eps = self.norm2.eps = 1e-5


@mistake("attention_output_is_a_tuple", "MultiHeadAttention returns a tuple (out, weights): "
         "take its first element, out, before adding it to x.")
class LayerTuple(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.self_attn(self.norm1(x), self.norm1(x), self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.self_attn(x, x, x, mask))
        return self.norm2(x + self.ff(x))


LAYER_MISTAKES = (LayerNoResidualAttn, LayerNoResidualFF, LayerAlwaysPost, LayerSwapped, LayerOneNorm,
                  LayerNoMask, LayerMaskInverted, LayerFFOnInput, LayerResidualNormed, LayerDefaultEps,
                  LayerTuple)


# --------------------------------------------------------------------------- encoder


class _Stack(Encoder):
    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x if self.norm is None else self.norm(x)


@mistake("final_norm_missing", "with norm_first=True the residual stream is never normalised "
         "inside the layers, so the stack ends with its own LayerNorm: self.norm = "
         "nn.LayerNorm(d_model, eps=layer_norm_eps), applied after the last layer.")
class StackNoFinalNorm(_Stack):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm = None


@mistake("final_norm_not_applied", "apply self.norm to the output of the last layer when "
         "norm_first=True.")
class StackNormNotApplied(_Stack):
    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


@mistake("final_norm_in_post_norm", "only a pre-norm stack (norm_first=True) needs a final "
         "LayerNorm: in post-norm every layer already ends with one, so self.norm is None.")
class StackAlwaysNorm(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)


@mistake("final_norm_every_layer", "the final LayerNorm is applied ONCE, after the last layer, "
         "not after every layer.")
class StackNormEachLayer(_Stack):
    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
            if self.norm is not None:
                x = self.norm(x)
        return x


@mistake("layers_share_weights", "each layer needs its own weights: build a new EncoderLayer "
         "for every position in the stack (nn.ModuleList(EncoderLayer(...) for _ in "
         "range(num_layers))); [layer] * num_layers repeats ONE layer.")
class StackShared(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.layers = nn.ModuleList([self.layers[0]] * num_layers)


@mistake("first_layer_repeated", "apply every layer once, in order (for layer in self.layers: "
         "x = layer(x, mask)), not the first layer num_layers times.")
class StackFirstRepeated(_Stack):
    def forward(self, x, mask=None):
        for _ in self.layers:
            x = self.layers[0](x, mask)
        return x if self.norm is None else self.norm(x)


@mistake("mask_not_passed", "pass the mask to every layer: layer(x, mask).")
class StackNoMask(_Stack):
    def forward(self, x, mask=None):
        return super().forward(x, None)


@mistake("layers_not_chained", "each layer reads the previous layer's output: x = layer(x, mask), "
         "not layer(input, mask) with the stack's input every time.")
class StackNotChained(_Stack):
    def forward(self, x, mask=None):
        out = x
        for layer in self.layers:
            out = layer(x, mask)
        return out if self.norm is None else self.norm(out)


STACK_MISTAKES = (StackNoFinalNorm, StackNormNotApplied, StackAlwaysNorm, StackNormEachLayer, StackShared,
                  StackFirstRepeated, StackNoMask, StackNotChained)


# --------------------------------------------------------------------------- questions


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


QUESTIONS = [
    Entry(f"{ID}/encoder_output_shape", (1, 15, 768), (
        _answer("batch_axis_dropped", "the encoder keeps the batch axis: (B, T, E), even for "
                "B = 1.", (15, 768)),
        _answer("one_vector_per_sequence", "an encoder gives one vector PER TOKEN (a contextual "
                "representation of each of the 15 tokens), not one per sequence.", (1, 768)),
        _answer("attention_weights_shape", "(T, T) is the shape of one head's attention weights; "
                "the layer's output has one vector of size E per token.", (1, 15, 15)),
        _answer("feed_forward_size", "the feed-forward network widens to d_ff (often 4 x 768) "
                "inside, but linear2 maps back to d_model: every layer outputs (B, T, 768).",
                (1, 15, 3072)),
    ), points=1),
    Entry(f"{ID}/order_without_positions", "b", (
        _answer("thinks_identical", "each output row belongs to its own token: permute the input "
                "rows and the output rows move with them.", "a"),
        _answer("thinks_unrelated", "self-attention weighs tokens by content only, and a weighted "
                "sum over a set does not depend on the order of the set: each token's output "
                "vector stays the same, only its row moves.", "c"),
        _answer("thinks_order_is_fixed", "nothing in self-attention or the feed-forward network "
                "refers to the index of a row; any order of the same vectors is accepted.", "d"),
    ), points=1),
    Entry(f"{ID}/skip_connections", "b", (
        _answer("thinks_layernorm", "LayerNorm keeps activations at a stable scale, but a "
                "gradient through a plain stack is still a product of one Jacobian per layer; "
                "what else does each sub-layer have?", "a"),
        _answer("thinks_softmax", "the softmax's gradient can vanish (saturated weights); the "
                "path that never vanishes is the identity in x + F(x).", "c"),
        _answer("thinks_parameters", "the number of parameters does not decide whether a "
                "gradient reaches the early layers; the identity path in x + F(x) does.", "d"),
    ), points=1),
]
# Sanity: the right shape is batch x tokens x hidden size.
assert QUESTIONS[0].reference == (1, 15, 768) and math.prod(QUESTIONS[0].reference) == 15 * 768


ENTRIES = [
    Entry(f"{ID}/sinusoidal_positional_encoding", sinusoidal_positional_encoding, PE_MISTAKES, points=2),
    Entry(f"{ID}/TransformerEmbedding", TransformerEmbedding, EMBEDDING_MISTAKES, points=2),
    Entry(f"{ID}/FeedForward", FeedForward, FF_MISTAKES, points=1),
    Entry(f"{ID}/sublayer_connection", sublayer_connection, CONNECTION_MISTAKES, points=2),
    Entry(f"{ID}/EncoderLayer", EncoderLayer, LAYER_MISTAKES, points=3),
    Entry(f"{ID}/Encoder", Encoder, STACK_MISTAKES, points=2),
    *QUESTIONS,
]
