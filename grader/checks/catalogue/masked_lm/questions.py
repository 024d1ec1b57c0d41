"""Lesson 05's three short questions: the right answers and the catalogued wrong ones."""

from __future__ import annotations

import math

from .. import Entry, mistake
from ._common import ID

ENTRIES = [
    Entry(f"{ID}/mask_fraction", 0.12, (
        mistake("mask_share_is_selection", "15% are selected, but only 80% of those become "
                "[MASK]: multiply the two.")(0.15),
        mistake("percent_not_fraction", "give a fraction between 0 and 1 (12% is 0.12).")(12),
        mistake("share_of_selected", "0.8 is the share of the SELECTED tokens; the question asks "
                "about all eligible tokens (15% of them are selected).")(0.8),
    ), points=1),
    Entry(f"{ID}/loss_positions", 3, (
        mistake("counted_special_tokens", "[CLS] and [SEP] are special: they are never selected, "
                "so only the 20 words can be.")(0.15 * 22),
        mistake("only_mask_positions", "random-replaced and kept tokens are selected too and "
                "carry labels: all 15% of the words count, not only the 12% that became "
                "[MASK].")(0.12 * 20),
        mistake("all_positions", "the loss covers the selected positions only (labels -100 "
                "elsewhere), about 15% of the words.")(22),
        mistake("all_words", "the loss covers the selected positions only (labels -100 "
                "elsewhere), about 15% of the words.")(20),
    ), points=1),
    Entry(f"{ID}/why_keep", "b", (
        mistake("thinks_speed", "keeping tokens does not save computation: every position is "
                "encoded anyway. Think of what the model sees at fine-tuning time.")("a"),
        mistake("thinks_error_detection", "that is ELECTRA's replaced token detection; BERT "
                "still predicts the original token at every selected position.")("c"),
        mistake("thinks_fewer_terms", "kept tokens are selected and DO contribute to the loss. "
                "Think of the input the model sees after pre-training.")("d"),
    ), points=1),
]
# Sanity: the numeric answers and their catalogued wrong values are what the questions say.
assert math.isclose(0.15 * 0.8, 0.12) and math.isclose(0.15 * 20, 3)
