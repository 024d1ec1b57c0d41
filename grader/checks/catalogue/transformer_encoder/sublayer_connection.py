"""``sublayer_connection``: the reference (``reference.layers.sublayer``) and its
catalogued mistakes."""

from __future__ import annotations

from reference.layers import sublayer_connection

from .. import Entry, Requirement, mistake
from ._common import ID


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

REQUIREMENTS = (
    Requirement("norm_first=False gives post-norm, norm(x + sublayer(x))",
                ("norm_order_swapped", "norm_on_sublayer_output")),
    Requirement("norm_first=True gives pre-norm, x + sublayer(norm(x)), with no norm around the "
                "sum", ("norm_first_ignored", "norm_order_swapped", "pre_norm_output_normalised")),
    Requirement("the residual adds the sub-layer's original input x",
                ("missing_residual", "residual_from_normalised_input")),
)

ENTRY = Entry(f"{ID}/sublayer_connection", sublayer_connection, CONNECTION_MISTAKES, points=2,
              requirements=REQUIREMENTS)
