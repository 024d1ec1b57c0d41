"""Beyond BERT: other ways to corrupt a text and to learn from it (lesson 11).

Book: *Foundations of Large Language Models* ch. 1, "Consecutive Token Masking in MLM",
"The Generator in Replaced Token Detection", "Discriminative Training" and "Prefix
Language Modeling (PrefixLM)"; the notes on making BERT cheaper at run time (knowledge
distillation, DistilBERT). One concept per file:

- :mod:`.span_masking`: SpanBERT's span lengths and span masking (Joshi et al. 2020);
- :mod:`.whole_word_masking`: BERT's whole-word masking over sub-word tokens;
- :mod:`.replaced_token_detection`: ELECTRA's discriminator inputs and its loss
  (Clark et al. 2020);
- :mod:`.prefix_lm`: the prefix-LM attention mask and the loss on the continuation;
- :mod:`.distillation`: the temperature-softened distillation loss (Hinton et al. 2015;
  Sanh et al. 2019, DistilBERT).
"""

from reference.beyond_bert.distillation import distillation_loss
from reference.beyond_bert.prefix_lm import prefix_lm_loss, prefix_lm_mask
from reference.beyond_bert.replaced_token_detection import discriminator_inputs, electra_loss
from reference.beyond_bert.span_masking import span_lengths, span_masking
from reference.beyond_bert.whole_word_masking import whole_word_masking

__all__ = ["discriminator_inputs", "distillation_loss", "electra_loss", "prefix_lm_loss",
           "prefix_lm_mask", "span_lengths", "span_masking", "whole_word_masking"]
