"""Lesson 08's ``freeze_layers``: the catalogued mistakes and the entry (reference
``reference.models.classifier.freeze_layers``, which works on the harness's stand-in
models as on the real ones).
"""

from __future__ import annotations

from reference.models.classifier import freeze_layers

from .. import Entry, Requirement, mistake
from ._common import ID


def _set(module, trainable):
    for p in module.parameters():
        p.requires_grad = trainable


@mistake("freeze_last_n", "freeze the FIRST num_layers layers (model.encoder.layers[:n]), those "
         "next to the embedding: they hold the general features; the last layers, next to the "
         "head, are the ones to adapt to the task.")
def freeze_last(model, num_layers):
    _set(model.embedding, num_layers == 0)
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i < len(model.encoder.layers) - num_layers)


@mistake("head_frozen_too", "the classifier head is new and must always train: after freezing "
         "everything (model.requires_grad_(False)) unfreeze model.classifier too, or freeze only "
         "the embedding and the first layers.")
def freeze_head_too(model, num_layers):
    model.requires_grad_(False)
    for layer in model.encoder.layers[num_layers:]:
        layer.requires_grad_(True)
    if num_layers == 0:
        model.embedding.requires_grad_(True)


@mistake("requires_grad_on_module", "module.requires_grad = False only sets a new attribute on "
         "the module object; its parameters keep requires_grad=True. Call "
         "module.requires_grad_(False) (with the underscore), or set p.requires_grad on each "
         "parameter.")
def freeze_attribute(model, num_layers):
    if num_layers > 0:
        model.embedding.requires_grad = False
    for layer in model.encoder.layers[:num_layers]:
        layer.requires_grad = False


@mistake("eval_instead_of_freezing", "module.eval() only switches dropout (and batch norm) to "
         "inference behaviour; the parameters still get gradients and change. Freeze with "
         "module.requires_grad_(False).")
def freeze_eval(model, num_layers):
    if num_layers > 0:
        model.embedding.eval()
    for layer in model.encoder.layers[:num_layers]:
        layer.eval()


@mistake("embedding_not_frozen", "freeze the embedding as well whenever num_layers >= 1: it is "
         "below the first layer, so freezing layers above it while it trains makes little sense.")
def freeze_layers_only(model, num_layers):
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i >= num_layers)


@mistake("embedding_frozen_at_zero", "num_layers = 0 means 'freeze nothing': everything, the "
         "embedding included, trains. Freeze the embedding only when num_layers >= 1.")
def freeze_embedding_always(model, num_layers):
    _set(model.embedding, False)
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i >= num_layers)


@mistake("off_by_one", "freeze exactly num_layers encoder layers, those with index "
         "0 .. num_layers - 1 (layers[:num_layers]).")
def freeze_off_by_one(model, num_layers):
    _set(model.embedding, num_layers == 0)
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i > num_layers)


@mistake("whole_encoder_frozen", "freeze only the first num_layers layers, not the whole "
         "encoder: the layers above them are fine-tuned with the head.")
def freeze_whole_encoder(model, num_layers):
    _set(model.embedding, num_layers == 0)
    _set(model.encoder, num_layers == 0)


@mistake("never_unfreezes", "a second call must replace the first: set requires_grad on every "
         "layer, True for the layers to train as well as False for the frozen ones, so "
         "freeze_layers(model, 1) after freeze_layers(model, 4) unfreezes layers 1 to 3.")
def freeze_never_unfreezes(model, num_layers):
    if num_layers > 0:
        _set(model.embedding, False)
    for layer in model.encoder.layers[:num_layers]:
        _set(layer, False)


@mistake("nothing_frozen", "p.detach() returns a new tensor and leaves the parameter as it was: "
         "set p.requires_grad = False (or module.requires_grad_(False)) instead.")
def freeze_detach(model, num_layers):
    modules = ([model.embedding] if num_layers > 0 else []) + list(model.encoder.layers[:num_layers])
    for module in modules:
        for p in module.parameters():
            p.detach()


# never_unfreezes first: after "freeze all, then fewer" it leaves the whole encoder frozen,
# as whole_encoder_frozen and (when the second call is L - 1) off_by_one do; it is the only
# one of them that passes the cases before that one, so it is the diagnosis there.
FREEZE_MISTAKES = (freeze_never_unfreezes, freeze_last, freeze_head_too, freeze_attribute,
                   freeze_eval, freeze_layers_only, freeze_embedding_always, freeze_off_by_one,
                   freeze_whole_encoder, freeze_detach)


REQUIREMENTS = (
    Requirement("num_layers >= 1 freezes exactly the encoder layers 0 .. num_layers - 1; the "
                "layers above them train",
                broken_by=("freeze_last_n", "off_by_one", "whole_encoder_frozen")),
    Requirement("the embedding is frozen when num_layers >= 1 and trains when num_layers = 0",
                broken_by=("embedding_not_frozen", "embedding_frozen_at_zero")),
    Requirement("the classifier head always trains", broken_by=("head_frozen_too",)),
    Requirement("freezing sets requires_grad = False on the parameters, in place",
                broken_by=("requires_grad_on_module", "eval_instead_of_freezing",
                           "nothing_frozen")),
    Requirement("a second call replaces the first: layers it does not freeze train again",
                broken_by=("never_unfreezes",)),
)


ENTRY = Entry(f"{ID}/freeze_layers", freeze_layers, FREEZE_MISTAKES, points=2,
              requirements=REQUIREMENTS)
