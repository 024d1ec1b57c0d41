"""Lesson 10's short questions: the right answers and the catalogued wrong ones."""

from __future__ import annotations

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/max_input_tokens", 512, (
        _answer("specials_subtracted", "the 512 positions of BERT's position table hold the whole "
                "input, [CLS] and [SEP] included; 510 is what is left for the text of one "
                "segment.", 510),
        _answer("fine_tuning_default", "128 is the sequence length that BERT's fine-tuning scripts "
                "use by default to save memory; the model itself reads up to 512 tokens.", 128),
        _answer("hidden_size", "768 is BERT-base's hidden size (the length of each token's "
                "vector), not the number of tokens.", 768),
    ), points=1),
    Entry(f"{ID}/concat_feature_size", 3072, (
        _answer("summed_size", "768 is the size when the four layers are SUMMED; concatenating "
                "puts four vectors of 768 end to end.", 768),
        _answer("all_layers", "only the last FOUR of the twelve layers are concatenated.", 9216),
        _answer("number_of_layers", "the question asks for the length of the feature vector, "
                "four layers of 768 numbers each.", 4),
    ), points=1),
    Entry(f"{ID}/pair_scoring_cost", 49_995_000, (
        _answer("ordered_pairs_with_self", "n * n counts each pair twice and every sentence with "
                "itself: the unordered pairs of n sentences number n (n - 1) / 2.", 100_000_000),
        _answer("ordered_pairs", "n (n - 1) counts (A, B) and (B, A) apart; each unordered pair "
                "once is half of that.", 99_990_000),
        _answer("one_pass_per_sentence", "one pass per sentence is the cost of encoding each "
                "sentence ALONE (features, as Sentence-BERT does); a pair classifier reads both "
                "sentences together, so every pair needs its own pass.", 10_000),
    ), points=1),
    Entry(f"{ID}/finetune_recipe", "b", (
        _answer("pretraining_rates", "1e-3 and dozens of epochs are far too aggressive: the paper "
                "fine-tunes briefly (2 to 4 epochs) with small learning rates (5e-5, 3e-5, 2e-5), "
                "so that the pre-trained weights are adjusted, not overwritten.", "a"),
        _answer("frozen_encoder", "the paper fine-tunes ALL parameters end to end; freezing the "
                "encoder is the feature-based approach, a different option.", "c"),
        _answer("long_training", "a few epochs suffice: the encoder already knows the language; "
                "long training on a small labelled set overfits.", "d"),
    ), points=1),
    Entry(f"{ID}/little_data", "c", (
        _answer("more_epochs", "many epochs (or a large learning rate) on a few hundred examples "
                "overfit them and can wipe out what pre-training learnt (catastrophic "
                "forgetting).", "a"),
        _answer("from_scratch", "a few hundred examples are far too few to learn a language from "
                "scratch: that is the very case where pre-training helps most.", "b"),
        _answer("freeze_top", "freeze the LOWER layers (the general features) and train the top "
                "and the head; freezing the top leaves the task-specific part fixed.", "d"),
    ), points=1),
    Entry(f"{ID}/features_or_finetune", "a", (
        _answer("features_always_better", "fine-tuning is usually a little better (96.4 against "
                "96.1 dev F1 for NER in the paper); features win on cost and flexibility, not "
                "accuracy.", "b"),
        _answer("features_need_more_data", "feature extraction trains FEWER parameters, so it "
                "needs less labelled data, not more.", "c"),
        _answer("features_for_generation", "features feed a task model of your choice; "
                "generating free text still needs a decoder either way.", "d"),
    ), points=1),
    Entry(f"{ID}/task_types", "b", (
        _answer("only_single_sentence", "the same encoder serves pairs ([CLS] A [SEP] B [SEP]), "
                "tagging (one output per token) and question answering (start and end scores) "
                "as well.", "a"),
        _answer("generation_too", "an encoder alone gives one vector per input token; writing a "
                "free-form answer word by word needs a decoder (lesson 04).", "c"),
        _answer("only_pretraining_tasks", "fine-tuning adds a new head for the task; it is not "
                "limited to MLM and NSP.", "d"),
    ), points=1),
]
