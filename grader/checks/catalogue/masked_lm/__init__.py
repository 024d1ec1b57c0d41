"""Lesson 05's mistake catalogue (trusted; never shipped).

``mask_tokens`` is randomised: the grader runs its wrong implementations like any
other candidate, but its harness recognises each mistake by the properties of the
outputs (labels, special tokens, seeded determinism, large-sample statistics), so a
student's version of the same mistake is named whatever random numbers it drew.
``mlm_loss`` and ``MLMHead`` mistakes are recognised by their outputs, as usual. The
references are ``reference.mlm`` and ``reference.models.MaskedLMHead``.

One file per exercise, as the harnesses (``grader.labkit.exercises.masked_lm``):

- :mod:`._common`: the lesson id;
- :mod:`.mask_tokens`: ``mask_tokens``'s mistakes (their hints are the harness's
  ``MASK_TOKENS_HINTS``, shown in the student's kernel too) and its entry;
- :mod:`.mlm_loss`: ``mlm_loss``'s mistakes and entry;
- :mod:`.MLMHead`: the reference head with the student's signature, the mistakes, the entry;
- :mod:`.questions`: the three short questions.
"""
