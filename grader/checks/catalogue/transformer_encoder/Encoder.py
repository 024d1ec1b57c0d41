"""``Encoder``: the reference (``reference.layers``) and its catalogued mistakes."""

from __future__ import annotations

from torch import nn

from reference.layers import Encoder, EncoderLayer

from .. import Entry, Requirement, mistake
from ._common import ID


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
         "for every place in the stack, inside the nn.ModuleList; repeating one layer object "
         "(a list times num_layers) gives every place the same weights.")
class StackShared(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.layers = nn.ModuleList([self.layers[0]] * num_layers)


@mistake("first_layer_repeated", "apply every layer once, in order, each to the previous "
         "one's output; not the first layer num_layers times.")
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


@mistake("layers_in_python_list", "keep the layers in an nn.ModuleList, not a plain Python "
         "list: a list hides the layers' parameters from the module (no parameters(), no "
         "state_dict, no .to(), nothing for the optimiser to train).")
class StackPythonList(_Stack):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        layers = list(self.layers)
        del self.layers
        self.layers = layers


@mistake("final_norm_ignores_eps", "the final LayerNorm takes eps=layer_norm_eps too, like the "
         "norms inside the layers.")
class StackFinalNormDefaultEps(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.norm = nn.LayerNorm(d_model) if norm_first else None


@mistake("layers_ignore_eps", "pass layer_norm_eps on to every EncoderLayer: built without it, "
         "their LayerNorms use the default eps instead of the one asked for.")
class StackLayersDefaultEps(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.layers = nn.ModuleList(EncoderLayer(d_model, num_heads, d_ff, dropout, activation,
                                                 norm_first) for _ in range(num_layers))


STACK_MISTAKES = (StackNoFinalNorm, StackNormNotApplied, StackAlwaysNorm, StackNormEachLayer, StackShared,
                  StackFirstRepeated, StackNoMask, StackNotChained, StackPythonList,
                  StackFinalNormDefaultEps, StackLayersDefaultEps)

REQUIREMENTS = (
    Requirement("num_layers EncoderLayers, each with its own weights",
                ("layers_share_weights",)),
    Requirement("the layers are kept in an nn.ModuleList named layers",
                ("layers_in_python_list",)),
    Requirement("each layer, once and in order, reads the previous layer's output",
                ("first_layer_repeated", "layers_not_chained")),
    Requirement("every layer gets the same mask", ("mask_not_passed",)),
    Requirement("a final LayerNorm after the last layer only when norm_first; norm is None "
                "otherwise", ("final_norm_missing", "final_norm_not_applied",
                              "final_norm_in_post_norm", "final_norm_every_layer")),
    Requirement("layer_norm_eps reaches every LayerNorm: the layers' and the final one",
                ("final_norm_ignores_eps", "layers_ignore_eps")),
)

ENTRY = Entry(f"{ID}/Encoder", Encoder, STACK_MISTAKES, points=2, requirements=REQUIREMENTS)
