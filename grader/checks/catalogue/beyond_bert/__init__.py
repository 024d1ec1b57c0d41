"""Catalogue entries of lesson 11, beyond BERT: span and whole-word masking, ELECTRA's
discriminator inputs and loss, the prefix LM's mask and loss, the distillation loss and
four short questions (references in ``reference.beyond_bert``)."""
