"""What the lesson 05 harnesses share: the lesson id, the label that the loss ignores
and the course tokenizer's ids.

Token ids follow the course tokenizer (``[PAD]`` 0, ``[UNK]`` 1, ``[CLS]`` 2,
``[SEP]`` 3, ``[MASK]`` 4, ``<s>`` 5, ``</s>`` 6, sentinels 7..14): the lesson's
``special_ids`` are 0..14 and every other id is an ordinary word.
"""

from __future__ import annotations

LESSON = "05_masked_lm"
IGNORE_INDEX = -100
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
NUM_SPECIAL = 15  # ids 0..14 are special in the course tokenizer
SPECIAL_IDS = list(range(NUM_SPECIAL))
