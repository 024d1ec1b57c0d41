"""Reference PyTorch implementation for Pretraining Lab.

Readable first, correct always. Each module holds one concept and names the
book section (*Foundations of Large Language Models*, ch. 1 and 2) and the
``torch.nn`` / Hugging Face class it mirrors. The public names are a contract
shared by the notebooks, the grader and the tests (``docs/reference-conventions.md``).
"""
