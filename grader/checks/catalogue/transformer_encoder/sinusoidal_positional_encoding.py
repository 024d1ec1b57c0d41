"""``sinusoidal_positional_encoding``: the reference table and its catalogued mistakes."""

from __future__ import annotations

import torch

from reference.embeddings import sinusoidal_positional_encoding as _reference_pe

from .. import Entry, Requirement, mistake
from ._common import ID


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

REQUIREMENTS = (
    Requirement("the table has shape (max_len, d_model): one row per position",
                ("transposed",)),
    Requirement("even columns 2i hold sin(pos * w_i), odd columns 2i+1 cos(pos * w_i), "
                "interleaved", ("sin_cos_swapped", "sin_cos_concatenated")),
    Requirement("the frequency of pair i is w_i = 1 / 10000^(2i / d_model), shared by the pair",
                ("exponent_i_over_d", "exponent_per_dimension", "frequency_inverted")),
    Requirement("positions start at 0: row 0 reads 0, 1, 0, 1, ...", ("positions_start_at_1",)),
    Requirement("d_model may be odd: one sine column more than cosine columns",
                ("odd_d_model_fails",)),
)

ENTRY = Entry(f"{ID}/sinusoidal_positional_encoding", sinusoidal_positional_encoding, PE_MISTAKES,
              points=2, requirements=REQUIREMENTS)
