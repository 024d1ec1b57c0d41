"""Lesson 04's references and mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate: when the candidate's outputs match a mistake's, the feedback names
that mistake. A mistake may appear in two common spellings under one id (e.g.
keys and values from the decoder, with or without the memory mask); the tests
check that each one is diagnosed as itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from reference.attention import MultiHeadAttention
from reference.layers import DecoderLayer, FeedForward
from reference.masks import causal_mask, causal_padding_mask, padding_mask
from reference.models import greedy_decode
from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

from . import Entry, mistake

# --------------------------------------------------------------------------- decoder_self_mask


def decoder_self_mask(tgt_ids, pad_id):
    """The reference: causal AND the key is a real token, (B, 1, T, T)."""
    return causal_padding_mask(padding_mask(tgt_ids, pad_id))


def _causal(tgt_ids):
    return causal_mask(tgt_ids.size(1))  # (T, T)


def _keys(tgt_ids, pad_id):
    return (tgt_ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)


def _full(mask, tgt_ids):
    b, t = tgt_ids.shape
    return mask.expand(b, 1, t, t)


@mistake("ignores_padding", "the causal part is right, but padded target positions must be "
         "hidden too: AND the causal (T, T) mask with the key padding mask "
         "(tgt_ids != pad_id)[:, None, None, :].")
def mask_ignores_padding(tgt_ids, pad_id):
    return _full(_causal(tgt_ids), tgt_ids)


@mistake("no_causal_mask", "the padding part is right, but each position may also only attend "
         "to itself and earlier positions (j <= i): AND it with a lower-triangular causal mask, "
         "or training lets every position read the word it must predict.")
def mask_no_causal(tgt_ids, pad_id):
    return _full(_keys(tgt_ids, pad_id), tgt_ids)


@mistake("causal_transposed", "the causal part is transposed: row i (the query) may attend "
         "columns j <= i (the keys), the LOWER triangle (torch.tril), not the upper one.")
def mask_causal_transposed(tgt_ids, pad_id):
    upper = torch.triu(torch.ones(tgt_ids.size(1), tgt_ids.size(1), dtype=torch.bool))
    return _keys(tgt_ids, pad_id) & upper


@mistake("pads_queries_not_keys", "the padding mask belongs on the KEY axis (the last one): "
         "(tgt_ids != pad_id)[:, None, None, :]. Indexed as [:, None, :, None] it blanks whole "
         "query rows and still lets real queries attend padded keys.")
def mask_pads_queries(tgt_ids, pad_id):
    return _causal(tgt_ids) & (tgt_ids != pad_id)[:, None, :, None]


@mistake("polarity_flipped", "this is the mask of blocked positions; in this course True means "
         "'may attend': the past, the token itself, and only real (non-pad) tokens.")
def mask_polarity_flipped(tgt_ids, pad_id):
    return ~decoder_self_mask(tgt_ids, pad_id)


@mistake("excludes_diagonal", "a position may attend to itself (j <= i, not j < i); without the "
         "diagonal, <s> at position 0 has nothing to attend to.")
def mask_excludes_diagonal(tgt_ids, pad_id):
    t = tgt_ids.size(1)
    return _keys(tgt_ids, pad_id) & torch.ones(t, t, dtype=torch.bool).tril(-1)


@mistake("or_instead_of_and", "combine the two masks with AND (&): a key may be attended only "
         "when it is in the past AND a real token. OR (|) lets padding and the future through.")
def mask_or(tgt_ids, pad_id):
    return _full(_causal(tgt_ids) | _keys(tgt_ids, pad_id), tgt_ids)


@mistake("missing_head_axis", "return shape (B, 1, T, T): the 1 is the head axis, so the mask "
         "broadcasts over the heads of the scores (B, H, T, T). Key padding as "
         "[:, None, None, :] gives it.")
def mask_missing_head_axis(tgt_ids, pad_id):
    return (tgt_ids != pad_id)[:, None, :] & _causal(tgt_ids)


@mistake("hardcoded_pad_zero", "use the pad_id argument: with another pad id, the padding was "
         "attended and a real token with id 0 was hidden.")
def mask_pad_zero(tgt_ids, pad_id):
    return decoder_self_mask(tgt_ids, 0)


@mistake("mask_not_bool", "return a bool mask (True/False): build it from comparisons and "
         "torch.tril(torch.ones(T, T, dtype=torch.bool)), and combine with &.")
def mask_not_bool(tgt_ids, pad_id):
    return decoder_self_mask(tgt_ids, pad_id).long()


# --------------------------------------------------------------------------- DecoderLayer


class _Layer(nn.Module):
    """The reference's sub-modules and a forward pieced together from parts that the
    mistakes below replace one at a time (unchanged, it is a correct layer)."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def self_block(self, x, mask):
        return self.self_attn(x, x, x, mask)[0]

    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, memory, memory, mask)[0]

    def norms(self):
        return self.norm1, self.norm2, self.norm3

    def forward(self, x, memory, self_mask=None, memory_mask=None):
        n1, n2, n3 = self.norms()
        if self.norm_first:
            x = x + self.self_block(n1(x), self_mask)
            x = x + self.cross_block(n2(x), memory, memory_mask)
            return x + self.ff(n3(x))
        x = n1(x + self.self_block(x, self_mask))
        x = n2(x + self.cross_block(x, memory, memory_mask))
        return n3(x + self.ff(x))


_KV_HINT = ("in cross-attention the queries come from the decoder (x) and the keys and values "
            "from the encoder output: cross_attn(x, memory, memory, memory_mask). With the "
            "decoder's own states as keys and values it is a second self-attention and never "
            "reads the source.")


@mistake("cross_kv_from_decoder", _KV_HINT)
class LayerCrossKVFromDecoder(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, x, x, mask)[0]


@mistake("cross_kv_from_decoder", _KV_HINT)
class LayerCrossKVFromDecoderUnmasked(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, x, x)[0]


@mistake("cross_query_from_memory", "cross-attention is the other way round: the QUERIES come "
         "from the decoder (one output per target position, T of them) and the keys and values "
         "from the memory: cross_attn(x, memory, memory, memory_mask).")
class LayerCrossQueryFromMemory(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(memory, x, x, mask)[0]


@mistake("self_attention_unmasked", "pass self_mask to the self-attention: without the causal "
         "mask each target position sees the words after it, which at inference do not exist yet.")
class LayerSelfUnmasked(_Layer):
    def self_block(self, x, mask):
        return self.self_attn(x, x, x)[0]


@mistake("memory_mask_ignored", "pass memory_mask to the cross-attention, so the decoder ignores "
         "the padding of the source sentence.")
class LayerMemoryMaskIgnored(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, memory, memory)[0]


_ORDER_HINT = ("the sub-layers run in this order: masked self-attention (norm1), then "
               "cross-attention to the memory (norm2), then the feed-forward (norm3). The decoder "
               "first gathers its own prefix, then asks the source with that as its query.")


@mistake("cross_before_self", _ORDER_HINT)
class LayerCrossFirst(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.cross_block(self.norm1(x), memory, memory_mask)
            x = x + self.self_block(self.norm2(x), self_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm1(x + self.cross_block(x, memory, memory_mask))
        x = self.norm2(x + self.self_block(x, self_mask))
        return self.norm3(x + self.ff(x))


@mistake("cross_before_self", _ORDER_HINT)
class LayerCrossFirstOwnNorms(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.cross_block(self.norm2(x), memory, memory_mask)
            x = x + self.self_block(self.norm1(x), self_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm2(x + self.cross_block(x, memory, memory_mask))
        x = self.norm1(x + self.self_block(x, self_mask))
        return self.norm3(x + self.ff(x))


@mistake("norms_shared", "each sub-layer has its own LayerNorm with its own weights: norm1 "
         "after (or before) self-attention, norm2 around cross-attention, norm3 around the "
         "feed-forward.")
class LayerNormsShared(_Layer):
    def norms(self):
        return self.norm1, self.norm1, self.norm1


@mistake("norm_first_ignored", "with norm_first=True the layer is pre-norm: x = x + F(norm(x)) "
         "for each sub-layer; the post-norm form norm(x + F(x)) is for norm_first=False only.")
class LayerAlwaysPostNorm(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        x = self.norm1(x + self.self_block(x, self_mask))
        x = self.norm2(x + self.cross_block(x, memory, memory_mask))
        return self.norm3(x + self.ff(x))


@mistake("memory_normalised", "in pre-norm only the decoder's stream is normalised before "
         "cross-attention: cross_attn(norm2(x), memory, memory, ...). The memory is the encoder's "
         "output, already normalised by the encoder, and norm2 belongs to the decoder.")
class LayerNormalisesMemory(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if not self.norm_first:
            return super().forward(x, memory, self_mask, memory_mask)
        x = x + self.self_block(self.norm1(x), self_mask)
        x = x + self.cross_block(self.norm2(x), self.norm2(memory), memory_mask)
        return x + self.ff(self.norm3(x))


@mistake("cross_residual_missing", "cross-attention needs its residual connection too: add its "
         "output to x (x + cross_attn(...)) before norm2 (post-norm), or add it back to x "
         "(pre-norm); otherwise what self-attention computed is lost.")
class LayerNoCrossResidual(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.self_block(self.norm1(x), self_mask)
            x = self.cross_block(self.norm2(x), memory, memory_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm1(x + self.self_block(x, self_mask))
        x = self.norm2(self.cross_block(x, memory, memory_mask))
        return self.norm3(x + self.ff(x))


@mistake("norm_inside_residual", "post-norm normalises the SUM: x = norm(x + F(x)). Normalising "
         "only the sub-layer's output, x + norm(F(x)), lets the residual stream grow unchecked.")
class LayerNormInsideResidual(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            return super().forward(x, memory, self_mask, memory_mask)
        x = x + self.norm1(self.self_block(x, self_mask))
        x = x + self.norm2(self.cross_block(x, memory, memory_mask))
        return x + self.norm3(self.ff(x))


# --------------------------------------------------------------------------- next_token_probs


def next_token_probs(decoder_states, weight, bias):
    """The reference: softmax over the vocabulary of the projected states, (B, T, V)."""
    return torch.softmax(F.linear(decoder_states, weight, bias), dim=-1)


@mistake("softmax_over_positions", "the softmax normalises over the vocabulary (the last axis, "
         "V): each position's probabilities of the next token sum to 1. dim=1 normalises over "
         "positions instead.")
def probs_over_positions(decoder_states, weight, bias):
    return torch.softmax(F.linear(decoder_states, weight, bias), dim=1)


@mistake("softmax_over_batch", "the softmax normalises over the vocabulary (the last axis, V), "
         "not over the sentences of the batch (dim=0).")
def probs_over_batch(decoder_states, weight, bias):
    return torch.softmax(F.linear(decoder_states, weight, bias), dim=0)


@mistake("returns_logits", "these are the logits: apply a softmax over the vocabulary to turn "
         "them into probabilities (each row then sums to 1).")
def probs_logits(decoder_states, weight, bias):
    return F.linear(decoder_states, weight, bias)


@mistake("returns_log_probs", "log_softmax gives log-probabilities (what a loss wants); this "
         "function returns the probabilities themselves: softmax.")
def probs_log(decoder_states, weight, bias):
    return torch.log_softmax(F.linear(decoder_states, weight, bias), dim=-1)


@mistake("missing_bias", "the output projection is affine: states @ weight.T + bias (as "
         "nn.Linear computes it); the bias was left out.")
def probs_no_bias(decoder_states, weight, bias):
    return torch.softmax(decoder_states @ weight.T, dim=-1)


@mistake("last_position_only", "return the distribution at EVERY position, shape (B, T, V): "
         "position i predicts token i + 1, which teacher forcing needs for all i at once. "
         "Greedy decoding then picks the last position itself.")
def probs_last_only(decoder_states, weight, bias):
    return torch.softmax(F.linear(decoder_states[:, -1], weight, bias), dim=-1)


# --------------------------------------------------------------------------- greedy_decode


def _greedy(model, src_ids, max_len, bos_id, eos_id, pad_id, *, eval_mode=True, restore=True,
            start=None, feed_prefix=True, position=-1, wrong_axis=False, stop="all",
            pad_after=True, src_mask=True, new_tokens=False, keep_bos=True):
    """Greedy decoding with switches; with the defaults it is a correct implementation."""
    was_training = model.training
    if eval_mode:
        model.eval()
    try:
        with torch.no_grad():
            mask = src_ids != pad_id if src_mask else None  # (B, S)
            memory = model.encode(src_ids, mask)
            batch = src_ids.size(0)
            ys = torch.full((batch, 1), bos_id if start is None else start, dtype=torch.long)
            finished = torch.zeros(batch, dtype=torch.bool)
            for _ in range(max_len if new_tokens else max_len - 1):
                if (stop == "all" and finished.all()) or (stop == "any" and finished.any()):
                    break
                logits = model.decode(ys if feed_prefix else ys[:, -1:], memory, mask)  # (B, L, V)
                nxt = logits.argmax(dim=1)[:, -1] if wrong_axis else logits[:, position].argmax(-1)
                if pad_after:
                    nxt = nxt.masked_fill(finished, pad_id)
                ys = torch.cat([ys, nxt[:, None]], dim=1)
                finished = finished | (nxt == eos_id)
    finally:
        if restore:
            model.train(was_training)
    return ys if keep_bos else ys[:, 1:]


def _greedy_mistake(id: str, hint: str, **switches):
    def wrong(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
        return _greedy(model, src_ids, max_len, bos_id, eos_id, pad_id, **switches)

    wrong.__name__ = f"greedy_{id}"
    return mistake(id, hint)(wrong)


def _greedy_hardcoded(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    return _greedy(model, src_ids, max_len, BOS_ID, EOS_ID, PAD_ID)


GREEDY_MISTAKES = (
    _greedy_mistake("ignores_eos", "a row is finished once it produced </s>: stop when every row "
                    "is finished (or at max_len), and give finished rows only pad_id afterwards.",
                    stop="never", pad_after=False),
    _greedy_mistake("no_padding_after_eos", "after a row produced </s>, append pad_id to it (not "
                    "the model's prediction) while the other rows go on: "
                    "next_ids.masked_fill(finished, pad_id).", pad_after=False),
    _greedy_mistake("stops_at_first_eos", "stop only when EVERY row has produced </s> "
                    "(finished.all()); the other rows of the batch are not done when the first "
                    "one is.", stop="any"),
    _greedy_mistake("starts_without_bos", "every row starts with bos_id (<s>): the decoder was "
                    "trained to read <s> first and predict the first word from it.", start=PAD_ID),
    _greedy_mistake("last_token_only", "feed the WHOLE prefix generated so far (B, L) to "
                    "model.decode, not only the last token: the decoder needs the earlier tokens "
                    "(there is no cache here), and position i must be at index i.",
                    feed_prefix=False),
    _greedy_mistake("first_position", "the next token comes from the logits at the LAST position, "
                    "logits[:, -1]: position i predicts token i + 1. logits[:, 0] repeats the "
                    "first prediction.", position=0),
    _greedy_mistake("argmax_wrong_axis", "take the argmax over the vocabulary (the last axis) of "
                    "the last position's logits: logits[:, -1].argmax(dim=-1). Over axis 1 it "
                    "returns a position, not a token id.", wrong_axis=True),
    _greedy_mistake("ignores_source_padding", "pass the source padding mask (src_ids != pad_id) to "
                    "model.encode and model.decode, so cross-attention ignores the padded source "
                    "positions.", src_mask=False),
    _greedy_mistake("max_len_excludes_bos", "max_len counts every token of the output, <s> "
                    "included: at most max_len - 1 tokens are generated after <s>.",
                    new_tokens=True),
    _greedy_mistake("drops_bos", "return the full sequences, <s> first (as the reference's "
                    "greedy_decode and Hugging Face generate do).", keep_bos=False),
    _greedy_mistake("no_eval_mode", "call model.eval() before decoding (and restore the mode "
                    "afterwards): in training mode dropout changes the predictions, so greedy "
                    "decoding would not be deterministic.", eval_mode=False),
    _greedy_mistake("training_flag_not_restored", "give the model back its mode: remember "
                    "was_training = model.training, and call model.train(was_training) at the end "
                    "(a try/finally is safest); otherwise training goes on without dropout.",
                    restore=False),
    mistake("hardcoded_special_ids", "use the bos_id, eos_id and pad_id arguments rather than the "
            "constants: callers may pass other ids.")(_greedy_hardcoded),
)


# --------------------------------------------------------------------------- questions


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry("04_transformer_decoder/decoder_self_mask", decoder_self_mask, (
        mask_ignores_padding, mask_no_causal, mask_causal_transposed, mask_pads_queries,
        mask_polarity_flipped, mask_excludes_diagonal, mask_or, mask_missing_head_axis,
        mask_pad_zero, mask_not_bool), points=1),
    Entry("04_transformer_decoder/DecoderLayer", DecoderLayer, (
        LayerCrossKVFromDecoder, LayerCrossKVFromDecoderUnmasked, LayerCrossQueryFromMemory,
        LayerSelfUnmasked, LayerMemoryMaskIgnored, LayerCrossFirst, LayerCrossFirstOwnNorms,
        LayerNormsShared, LayerAlwaysPostNorm, LayerNormalisesMemory, LayerNoCrossResidual,
        LayerNormInsideResidual), points=3),
    Entry("04_transformer_decoder/cross_attention_shape", (2, 4, 7, 12), (
        _answer("queries_and_keys_swapped", "rows are queries and columns are keys: (B, H, T, S), "
                "with T = 7 target positions asking and S = 12 source positions answering.",
                (2, 4, 12, 7)),
        _answer("self_attention_shape", "that is the shape of the decoder's SELF-attention weights "
                "(T x T); cross-attention's keys are the 12 positions of the memory.", (2, 4, 7, 7)),
        _answer("heads_averaged", "the course's attention returns the weights of every head: "
                "(B, H, T, S). (2, 7, 12) is what nn.MultiheadAttention returns by default, "
                "averaged over heads.", (2, 7, 12)),
    ), points=1),
    Entry("04_transformer_decoder/next_token_probs", next_token_probs, (
        probs_over_positions, probs_over_batch, probs_logits, probs_log, probs_no_bias,
        probs_last_only), points=1),
    Entry("04_transformer_decoder/teacher_forcing_passes", 1, (
        _answer("one_pass_per_prediction", "that is how many predictions the loss adds up (y1 .. "
                "y10 and </s>). With teacher forcing the decoder input is the whole known target "
                "and the causal mask hides the future, so ONE pass gives all of them at once.", 11),
        _answer("one_pass_per_word", "with teacher forcing the decoder reads the whole target at "
                "once (the causal mask keeps each position from seeing its answer): one pass "
                "gives the predictions at every position.", 10),
        _answer("one_pass_per_token", "one pass reads the whole target sequence <s> y1 .. y10 at "
                "once; the causal mask, not separate passes, keeps the future hidden.", 12),
    ), points=1),
    Entry("04_transformer_decoder/greedy_decode", greedy_decode, GREEDY_MISTAKES, points=3),
    Entry("04_transformer_decoder/greedy_decoder_calls", 4, (
        _answer("counted_bos", "<s> is given, not predicted: each call predicts one of a, b, c, "
                "</s>.", 5),
        _answer("forgot_eos", "</s> is predicted too: decoding stops only after the model "
                "produced it, so a, b, c and </s> each took one call.", 3),
        _answer("teacher_forcing", "at inference the next input is unknown until the model has "
                "predicted it, so there is one call per generated token (a, b, c, </s>); "
                "only training, with the target known, needs a single pass.", 1),
    ), points=1),
]
