"""Lesson 08's ``load_pretrained_encoder``: the catalogued mistakes and the entry
(reference ``reference.models.classifier.load_pretrained_encoder``, which works on
the harness's stand-in models as on the real ones).
"""

from __future__ import annotations

import torch

from reference.models.classifier import load_pretrained_encoder

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("embedding_not_copied", "the pre-trained body is the embedding AND the encoder: copy "
         "both (the token vectors were learned in pre-training too).")
def load_encoder_only(classifier, masked_lm):
    classifier.encoder.load_state_dict(masked_lm.encoder.state_dict())


@mistake("strict_false_loads_nothing", "nothing was copied: the keys of masked_lm.state_dict() "
         "start with 'embedding.' and 'encoder.', those of classifier.encoder.state_dict() do "
         "not, and strict=False silently skips every key that does not match. Load each of the "
         "classifier's body modules from the state dict of the masked LM's module of the same "
         "name, and keep strict=True so that a mismatch raises.")
def load_strict_false_prefix(classifier, masked_lm):
    classifier.embedding.load_state_dict(masked_lm.state_dict(), strict=False)
    classifier.encoder.load_state_dict(masked_lm.state_dict(), strict=False)


@mistake("copied_wrong_direction", "the masked LM's weights changed and the classifier's did "
         "not: copy FROM masked_lm INTO classifier, never the other way round.")
def load_wrong_direction(classifier, masked_lm):
    masked_lm.load_state_dict(classifier.state_dict(), strict=False)


@mistake("shares_modules", "classifier.encoder = masked_lm.encoder makes both models use the "
         "same tensors: fine-tuning the classifier would also change the pre-trained model (and "
         "every other classifier loaded from it). Copy the weights with load_state_dict "
         "(or copy.deepcopy the modules).")
def load_shared(classifier, masked_lm):
    classifier.embedding = masked_lm.embedding
    classifier.encoder = masked_lm.encoder


@mistake("mlm_head_loaded", "the classifier has no place for the MLM head (and the MLM has no "
         "classifier): load the embedding and the encoder only, each module from the state dict of its "
         "counterpart of the same name in the masked LM.")
def load_whole_model(classifier, masked_lm):
    classifier.load_state_dict(masked_lm.state_dict())


@mistake("zipped_parameters", "pairing the two models' parameters with zip() in order runs past "
         "the body into the heads (the classifier's head and the MLM head do not match): copy "
         "the embedding and the encoder by name, e.g. with load_state_dict on each.")
def load_zipped(classifier, masked_lm):
    with torch.no_grad():
        for p, q in zip(classifier.parameters(), masked_lm.parameters(), strict=False):
            p.copy_(q)


LOAD_MISTAKES = (load_encoder_only, load_strict_false_prefix, load_wrong_direction, load_shared,
                 load_whole_model, load_zipped)


REQUIREMENTS = (
    Requirement("both parts of the body are copied: the embedding and the encoder",
                broken_by=("embedding_not_copied", "strict_false_loads_nothing")),
    Requirement("the copy goes from masked_lm into classifier; masked_lm does not change",
                broken_by=("copied_wrong_direction",)),
    Requirement("the weights are copied, not shared: no tensor belongs to both models",
                broken_by=("shares_modules",)),
    Requirement("only the body is loaded, matched by name: the classifier's head keeps its "
                "weights and the MLM head is left behind",
                broken_by=("mlm_head_loaded", "zipped_parameters")),
)


ENTRY = Entry(f"{ID}/load_pretrained_encoder", load_pretrained_encoder, LOAD_MISTAKES, points=2,
              requirements=REQUIREMENTS)
