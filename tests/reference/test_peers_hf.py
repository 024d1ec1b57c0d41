"""The reference against Hugging Face layers, optional (skips without ``transformers``).

Layers are built from small random configs in code: no downloads, no
``from_pretrained``. Weights are copied, everything runs in float64 with
dropout off and the eager attention implementation (which adds a float mask:
0 where allowed, the dtype's minimum where blocked); outputs, input and
parameter gradients must agree to ~1e-9. Both HF layers are post-norm:
``EncoderLayer(norm_first=False)``.
"""

import pytest
import torch

from reference.layers import DecoderLayer, EncoderLayer
from reference.masks import causal_padding_mask, expand_padding_mask

transformers = pytest.importorskip("transformers")
# Imported here, not in the tests: loading these modules takes seconds, once.
modeling_bart = pytest.importorskip("transformers.models.bart.modeling_bart")
modeling_bert = pytest.importorskip("transformers.models.bert.modeling_bert")

TOL = {"rtol": 1e-9, "atol": 1e-9}
B, T, S, E, H, FF = 2, 7, 5, 32, 4, 64


def _additive(mask):
    """Our bool mask (True = may attend) as HF's additive float mask."""
    blocked = torch.finfo(torch.float64).min
    return torch.zeros(mask.shape, dtype=torch.float64).masked_fill(~mask, blocked)


def _keep(batch, length):
    keep = torch.ones(batch, length, dtype=torch.bool)
    keep[1, length - 2:] = False  # the second row ends with two pads
    return keep


def _pairs(ours, theirs, names):
    """(our parameter, their parameter) for each ``our_prefix -> their_prefix`` module pair."""
    for mine, other in names.items():
        a, b = ours.get_submodule(mine), theirs.get_submodule(other)
        for name in ("weight", "bias"):
            yield getattr(a, name), getattr(b, name)


def _attention_names(ours, theirs):
    return {f"{ours}.{p}": f"{theirs}.{p}" for p in ("q_proj", "k_proj", "v_proj", "out_proj")}


def _copy_and_compare(ours, theirs, names, run_ours, run_theirs, inputs):
    pairs = list(_pairs(ours, theirs, names))
    assert len(pairs) == len(list(theirs.parameters())), "every HF parameter is mapped"
    with torch.no_grad():
        for a, b in pairs:
            b.copy_(a)
    ours_in = [x.clone().requires_grad_() for x in inputs]
    theirs_in = [x.clone().requires_grad_() for x in inputs]
    out_ours, out_theirs = run_ours(*ours_in), run_theirs(*theirs_in)
    torch.testing.assert_close(out_ours, out_theirs, **TOL)
    upstream = torch.randn_like(out_ours)
    out_ours.backward(upstream)
    out_theirs.backward(upstream)
    for a, b in zip(ours_in, theirs_in, strict=True):
        torch.testing.assert_close(a.grad, b.grad, **TOL)
    for a, b in pairs:
        torch.testing.assert_close(a.grad, b.grad, **TOL)


def _x(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def test_encoder_layer_matches_bert_layer():
    """Post-norm GELU EncoderLayer (eps 1e-12) equals HF BertLayer with a padding mask."""
    config = transformers.BertConfig(hidden_size=E, num_attention_heads=H, intermediate_size=FF,
                                     hidden_act="gelu", hidden_dropout_prob=0.0,
                                     attention_probs_dropout_prob=0.0, layer_norm_eps=1e-12)
    config._attn_implementation = "eager"
    theirs = modeling_bert.BertLayer(config).double().eval()
    ours = EncoderLayer(E, H, FF, 0.0, "gelu", norm_first=False, layer_norm_eps=1e-12).double().eval()
    names = {"self_attn.q_proj": "attention.self.query", "self_attn.k_proj": "attention.self.key",
             "self_attn.v_proj": "attention.self.value", "self_attn.out_proj": "attention.output.dense",
             "norm1": "attention.output.LayerNorm", "ff.linear1": "intermediate.dense",
             "ff.linear2": "output.dense", "norm2": "output.LayerNorm"}
    mask = expand_padding_mask(_keep(B, T))  # (B, 1, 1, T)

    def run_theirs(x):
        out = theirs(x, attention_mask=_additive(mask))
        return out[0] if isinstance(out, tuple) else out  # older versions return a tuple

    _copy_and_compare(ours, theirs, names, lambda x: ours(x, mask), run_theirs, [_x(B, T, E)])


def _bart_config():
    config = transformers.BartConfig(d_model=E, encoder_attention_heads=H, decoder_attention_heads=H,
                                     encoder_ffn_dim=FF, decoder_ffn_dim=FF, activation_function="gelu",
                                     dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    config._attn_implementation = "eager"
    return config


def test_encoder_layer_matches_bart_encoder_layer():
    """Post-norm GELU EncoderLayer equals HF BartEncoderLayer with a padding mask."""
    theirs = modeling_bart.BartEncoderLayer(_bart_config()).double().eval()
    ours = EncoderLayer(E, H, FF, 0.0, "gelu", norm_first=False).double().eval()
    names = {**_attention_names("self_attn", "self_attn"), "norm1": "self_attn_layer_norm",
             "ff.linear1": "fc1", "ff.linear2": "fc2", "norm2": "final_layer_norm"}
    mask = expand_padding_mask(_keep(B, T))

    def run_theirs(x):
        out = theirs(x, attention_mask=_additive(mask))
        return out[0] if isinstance(out, tuple) else out

    _copy_and_compare(ours, theirs, names, lambda x: ours(x, mask), run_theirs, [_x(B, T, E)])


def test_decoder_layer_matches_bart_decoder_layer():
    """Post-norm DecoderLayer equals HF BartDecoderLayer: causal + target padding, source padding."""
    theirs = modeling_bart.BartDecoderLayer(_bart_config(), layer_idx=0).double().eval()
    ours = DecoderLayer(E, H, FF, 0.0, "gelu", norm_first=False).double().eval()
    names = {**_attention_names("self_attn", "self_attn"), "norm1": "self_attn_layer_norm",
             **_attention_names("cross_attn", "encoder_attn"), "norm2": "encoder_attn_layer_norm",
             "ff.linear1": "fc1", "ff.linear2": "fc2", "norm3": "final_layer_norm"}
    self_mask = causal_padding_mask(_keep(B, T))  # (B, 1, T, T)
    memory_mask = expand_padding_mask(_keep(B, S)).expand(B, 1, T, S)  # HF wants (B, 1, T, S)

    def run_theirs(x, memory):
        out = theirs(x, attention_mask=_additive(self_mask), encoder_hidden_states=memory,
                     encoder_attention_mask=_additive(memory_mask), use_cache=False)
        return out[0] if isinstance(out, tuple) else out

    _copy_and_compare(ours, theirs, names, lambda x, m: ours(x, m, self_mask, memory_mask),
                      run_theirs, [_x(B, T, E), _x(B, S, E)])
