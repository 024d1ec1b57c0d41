"""Lesson 08's three short questions: the right answers and the catalogued wrong ones."""

from __future__ import annotations

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/pooled_shape", (8, 768), (
        _answer("all_positions", "(8, 15, 768) is every position's hidden state; [CLS] pooling "
                "keeps one vector per sentence, that of position 0.", (8, 15, 768)),
        _answer("first_sentence", "(15, 768) is hidden[0], the first sentence's states; the [CLS] "
                "vectors of the batch are hidden[:, 0].", (15, 768)),
        _answer("no_batch_axis", "the batch axis stays: one 768-vector for each of the 8 "
                "sentences.", (768,)),
    ), points=1),
    Entry(f"{ID}/why_cls", "b", (
        _answer("thinks_position", "positional encodings do not make position 0 special in "
                "what it knows; think of which tokens position 0 can read.", "a"),
        _answer("thinks_mlm_trains_cls", "MLM never selects [CLS] (it is special) and predicts "
                "nothing there; BERT's [CLS] was trained by next-sentence prediction, ours only "
                "by fine-tuning.", "c"),
        _answer("thinks_left_to_right", "an encoder is not read left to right: every position "
                "attends to every other one in the same layer, in both directions.", "d"),
    ), points=1),
    Entry(f"{ID}/two_stages", "c", (
        _answer("pretrain_on_labels", "pre-training needs no labels and gains from as much "
                "text as possible: it uses the large unlabelled corpus; the small labelled set "
                "is for the task.", "a"),
        _answer("labels_from_nowhere", "the web text has no email categories: a supervised "
                "classifier cannot be trained on it. It serves a self-supervised objective "
                "(MLM) instead.", "b"),
        _answer("ignores_pretraining", "general text teaches the encoder the language (syntax, "
                "which words go together) that the classifier then needs only few labels to "
                "use: that is the point of pre-training.", "d"),
    ), points=1),
]
