"""``FeedForward``: the reference (``reference.layers``) and its catalogued mistakes."""

from __future__ import annotations

import torch.nn.functional as F

from reference.layers import ACTIVATIONS, FeedForward

from .. import Entry, Requirement, mistake
from ._common import ID


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


@mistake("activation_twice", "apply the activation once, between linear1 and linear2; the "
         "output of linear2 goes out as it is, with no activation after it.")
class FFActTwice(_FF):
    def forward(self, x):
        return self.act(self.linear2(self.act(self.linear1(x))))


FF_MISTAKES = (FFActAfter, FFNoAct, FFAlwaysRelu, FFGeluTanh, FFActFirst, FFResidual, FFActTwice)

REQUIREMENTS = (
    Requirement("the activation sits between the linear maps: linear1, activation, linear2, "
                "and nothing after linear2",
                ("activation_after_linear2", "activation_missing", "activation_on_input",
                 "activation_twice")),
    Requirement("the activation argument chooses ReLU or the exact GELU",
                ("activation_ignored", "gelu_tanh_approximation")),
    Requirement("FeedForward returns the network's output only; the residual is added outside",
                ("residual_inside_feed_forward",)),
)

ENTRY = Entry(f"{ID}/FeedForward", FeedForward, FF_MISTAKES, points=1, requirements=REQUIREMENTS)
