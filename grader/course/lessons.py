"""The lessons of the course and the provided building blocks each one ships."""

from __future__ import annotations

from pathlib import Path

from .paths import BLOCKS_FILE, SOLUTIONS_DIR

#: Provided building blocks per lesson: reference modules shipped as ``blocks/``.
#: Their reference imports must be listed too (private helpers such as
#: ``_checks`` are added automatically). Never a lesson's own solution modules.
#: A lesson may instead list them in ``solutions/<lesson>/blocks.txt`` (one module a
#: line, ``reference.masks`` or ``masks``; ``#`` comments), which then wins.
BLOCKS: dict[str, tuple[str, ...]] = {
    "02_attention": (),
    "05_masked_lm": ("masks", "attention", "embeddings", "layers", "tokenizer", "data", "training"),
}

#: The reference modules each lesson asks students to write: never shipped with
#: that lesson (later lessons may get them as blocks).
SOLUTION_MODULES: dict[str, tuple[str, ...]] = {
    "01_rnn_seq2seq": ("rnn",),
    "02_attention": ("attention", "masks"),
    "03_transformer_encoder": ("embeddings", "layers"),
    # The encoder half of reference.layers ships; masks.decoder_self_mask, the decoder
    # layer and models.decoding (next_token_probs, greedy_decode) are this lesson's.
    "04_transformer_decoder": ("layers.decoder", "models", "masks"),
    "05_masked_lm": ("mlm", "models"),
    "06_denoising": ("denoising",),  # the EncoderDecoder of reference.models is a provided block
    "07_objective": ("objectives", "training"),  # training.train_step is an exercise
    "08_finetuning": ("models.classifier",),  # the MaskedLM of lesson 05 ships
    "09_generating_text": ("generation", "evaluation"),  # KV cache, sampling, beam; PPL, BLEU
    "10_bert_complete": ("bert",),  # pair inputs, NSP, task heads, layer features
    "11_beyond_bert": ("beyond_bert",),  # span masking, RTD, prefix LM, distillation
}


# --- lessons and seeds ------------------------------------------------------------------


def available_lessons(solutions_dir: str | Path = SOLUTIONS_DIR) -> list[str]:
    """Lessons with a source notebook ``solutions/<lesson>/<lesson>.ipynb``, in course order."""
    root = Path(solutions_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / f"{p.name}.ipynb").is_file())


def lesson_blocks(lesson: str, solutions_dir: str | Path = SOLUTIONS_DIR) -> tuple[str, ...]:
    """The reference modules shipped as ``blocks/`` with ``lesson``."""
    listing = Path(solutions_dir) / lesson / BLOCKS_FILE
    if not listing.is_file():
        return BLOCKS.get(lesson, ())
    names = []
    for line in listing.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name.removeprefix("reference."))
    return tuple(names)
