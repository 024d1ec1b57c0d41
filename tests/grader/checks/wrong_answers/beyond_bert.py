"""Lesson 11: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from reference.masks import causal_mask, padding_mask

# --------------------------------------------------------------------------- span_lengths


def lengths_failures_count(n, *, p=0.2, max_len=10, generator=None):
    # the number of failures before the first success, as torch.distributions.Geometric counts
    u = torch.rand(n, generator=generator)
    return torch.floor(torch.log(1 - u) / math.log(1 - p)).long().clamp(max=max_len)


def lengths_inverse_clamp(n, *, p=0.2, max_len=10, generator=None):
    u = torch.rand(n, generator=generator)
    lengths = torch.floor(torch.log(1 - u) / math.log(1 - p)).long() + 1
    return torch.clamp(lengths, 1, max_len)


def lengths_multinomial_from_zero(n, *, p=0.2, max_len=10, generator=None):
    probs = torch.tensor([p * (1 - p) ** (k - 1) for k in range(1, max_len + 1)])
    return torch.multinomial(probs / probs.sum(), n, replacement=True, generator=generator)


def lengths_continue_prob(n, *, p=0.2, max_len=10, generator=None):
    # "p is the chance to add one more token"
    probs = torch.tensor([(1 - p) * p ** (k - 1) for k in range(1, max_len + 1)])
    return torch.multinomial(probs, n, replacement=True, generator=generator) + 1


def lengths_unclipped(n, *, p=0.2, max_len=10, generator=None):
    u = torch.rand(n, generator=generator)
    return torch.ceil(torch.log(u) / math.log(1 - p)).long().clamp(min=1)


def lengths_no_generator(n, *, p=0.2, max_len=10, generator=None):
    probs = torch.tensor([p * (1 - p) ** (k - 1) for k in range(1, max_len + 1)])
    return torch.multinomial(probs, n, replacement=True) + 1


# --------------------------------------------------------------------------- span_masking


def _span_masking(input_ids, *, mask_token_id, vocab_size, special_ids, mask_ratio=0.15, p=0.2, max_len=10,
                  mask_replace_prob=0.8, random_replace_prob=0.1, generator=None, mode="ok"):
    specials = set(special_ids)
    words = torch.tensor([i for i in range(vocab_size) if i not in specials])
    inputs, labels = input_ids.clone(), torch.full_like(input_ids, -100)
    for row in range(input_ids.shape[0]):
        ids = input_ids[row].tolist()
        eligible = [i for i, x in enumerate(ids) if x not in specials]
        budget = math.ceil(mask_ratio * (len(ids) if mode == "all_positions" else len(eligible)))
        chosen: set[int] = set()
        spans = []
        while len(chosen) < budget:
            probs = torch.tensor([p * (1 - p) ** k for k in range(max_len)])
            length = int(torch.multinomial(probs, 1, generator=generator)) + 1
            if mode == "single":
                length = 1
            start = eligible[int(torch.randint(len(eligible), (1,), generator=generator))]
            if start in chosen:
                continue
            span = []
            for pos in range(start, min(start + length, len(ids))):
                if ids[pos] in specials or pos in chosen or (len(chosen) >= budget and mode != "overshoot"):
                    break
                chosen.add(pos)
                span.append(pos)
            spans.append(span)
        for span in spans:
            labels[row, span] = input_ids[row, span]
            for k, pos in enumerate(span):
                if mode == "per_token" or k == 0:
                    u = float(torch.rand(1, generator=generator))
                if u < mask_replace_prob:
                    inputs[row, pos] = mask_token_id
                elif u < mask_replace_prob + random_replace_prob:
                    inputs[row, pos] = words[int(torch.randint(len(words), (1,), generator=generator))]
    return inputs, labels


def spans_choice_per_token(input_ids, **kw):
    return _span_masking(input_ids, **kw, mode="per_token")


def spans_budget_over_whole_row(input_ids, **kw):
    return _span_masking(input_ids, **kw, mode="all_positions")


def spans_last_span_not_cut(input_ids, **kw):
    return _span_masking(input_ids, **kw, mode="overshoot")


def spans_one_token_at_a_time(input_ids, **kw):
    return _span_masking(input_ids, **kw, mode="single")


def spans_course_tokenizer_ids(input_ids, **kw):
    # "MASK_ID and SPECIAL_IDS are in the setup cell": the arguments are not read
    kw.update(mask_token_id=4, special_ids=list(range(15)), vocab_size=60)
    return _span_masking(input_ids, **kw)


# --------------------------------------------------------------------------- whole_word_masking


def wwm_token_level(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                    mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    # forgets the words: BERT's token masking
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & (word_ids >= 0)
    inputs = input_ids.masked_fill(selected, mask_token_id)
    return inputs, input_ids.masked_fill(~selected, -100)


def wwm_one_draw_per_index(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                           mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    n_words = int(word_ids.max()) + 1
    pick = torch.rand(n_words, generator=generator) < mlm_probability  # one draw per word index
    selected = pick[word_ids.clamp(min=0)] & (word_ids >= 0)
    u = torch.rand(input_ids.shape, generator=generator)
    words = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    rand = words[torch.randint(len(words), input_ids.shape, generator=generator)]
    inputs = torch.where(selected & (u < 0.8), mask_token_id, input_ids)
    inputs = torch.where(selected & (u >= 0.8) & (u < 0.9), rand, inputs)
    return inputs, torch.where(selected, input_ids, -100)


def wwm_only_masks(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                   mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    b = input_ids.shape[0]
    draws = torch.rand(b, int(word_ids.max()) + 1, generator=generator) < mlm_probability
    selected = draws.gather(1, word_ids.clamp(min=0)) & (word_ids >= 0)
    return input_ids.masked_fill(selected, mask_token_id), input_ids.masked_fill(~selected, -100)


def wwm_course_mask_id(input_ids, word_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                       mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    b = input_ids.shape[0]
    draws = torch.rand(b, int(word_ids.max()) + 1, generator=generator) < mlm_probability
    selected = draws.gather(1, word_ids.clamp(min=0)) & (word_ids >= 0)
    u = torch.rand(input_ids.shape, generator=generator)
    rand = torch.randint(15, 60, input_ids.shape, generator=generator)
    inputs = torch.where(selected & (u < mask_replace_prob), 4, input_ids)  # the course's [MASK]
    inputs = torch.where(selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob),
                         rand, inputs)
    return inputs, torch.where(selected, input_ids, -100)


# --------------------------------------------------------------------------- discriminator_inputs


def disc_greedy(input_ids, labels, generator_logits, *, generator=None):
    masked = labels != -100
    x = input_ids.clone()
    x[masked] = generator_logits.argmax(-1)[masked]
    return x, (x != input_ids).long()


def disc_label_masked(input_ids, labels, generator_logits, *, generator=None):
    masked = labels != -100
    x = input_ids.clone()
    x[masked] = torch.multinomial(generator_logits[masked].softmax(-1), 1, generator=generator).view(-1)
    return x, torch.where(masked, 1, 0)


def disc_labels_original_is_one(input_ids, labels, generator_logits, *, generator=None):
    masked = labels != -100
    x = input_ids.clone()
    x[masked] = torch.multinomial(generator_logits[masked].softmax(-1), 1, generator=generator).view(-1)
    return x, (x == input_ids).long()


def disc_bool_labels(input_ids, labels, generator_logits, *, generator=None):
    masked = labels != -100
    x = input_ids.clone()
    x[masked] = torch.multinomial(F.softmax(generator_logits[masked], -1), 1, generator=generator).squeeze(-1)
    return x, x != input_ids


# --------------------------------------------------------------------------- electra_loss


def electra_all_positions(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    mlm = F.cross_entropy(gl.reshape(-1, gl.shape[-1]), mlm_labels.reshape(-1))
    return mlm + disc_weight * F.binary_cross_entropy_with_logits(dl, disc_labels.float().to(dl.dtype))


def electra_unweighted(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    mlm = F.cross_entropy(gl.reshape(-1, gl.shape[-1]), mlm_labels.reshape(-1))
    disc = F.binary_cross_entropy_with_logits(dl[attention_mask], disc_labels[attention_mask].to(dl.dtype))
    return mlm + disc


def electra_sigmoid_first(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    mlm = F.cross_entropy(gl.reshape(-1, gl.shape[-1]), mlm_labels.reshape(-1))
    probs = torch.sigmoid(dl)
    disc = nn.BCEWithLogitsLoss()(probs[attention_mask], disc_labels[attention_mask].to(dl.dtype))
    return mlm + disc_weight * disc


def electra_masked_positions(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    keep = mlm_labels != -100
    mlm = F.cross_entropy(gl[keep], mlm_labels[keep])
    disc = F.binary_cross_entropy_with_logits(dl[keep], disc_labels[keep].to(dl.dtype))
    return mlm + disc_weight * disc


# --------------------------------------------------------------------------- prefix_lm_mask


def mask_just_causal(input_ids, prefix_lengths, pad_id=0):
    t = input_ids.shape[1]
    return (causal_mask(t)[None] & padding_mask(input_ids, pad_id)[:, None, :])[:, None]


def mask_prefix_inclusive(input_ids, prefix_lengths, pad_id=0):
    t = input_ids.shape[1]
    pos = torch.arange(t)
    prefix = pos[None, :] <= prefix_lengths[:, None]
    return ((causal_mask(t)[None] | prefix[:, None, :]) & padding_mask(input_ids, pad_id)[:, None, :])[:, None]


def mask_no_padding(input_ids, prefix_lengths, pad_id=0):
    t = input_ids.shape[1]
    prefix = torch.arange(t)[None, :] < prefix_lengths[:, None]
    return (causal_mask(t)[None] | prefix[:, None, :])[:, None]


def mask_three_dims(input_ids, prefix_lengths, pad_id=0):
    t = input_ids.shape[1]
    prefix = torch.arange(t)[None, :] < prefix_lengths[:, None]
    return (causal_mask(t)[None] | prefix[:, None, :]) & padding_mask(input_ids, pad_id)[:, None, :]


# --------------------------------------------------------------------------- prefix_lm_loss


def loss_everything(logits, input_ids, prefix_lengths, pad_id=0):
    targets = input_ids[:, 1:].masked_fill(input_ids[:, 1:] == pad_id, -100)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1))


def loss_logit_positions(logits, input_ids, prefix_lengths, pad_id=0):
    # compares the logits' position t with the prefix length: misses the first continuation token
    t = torch.arange(input_ids.shape[1] - 1)
    targets = input_ids[:, 1:].clone()
    targets[(t[None, :] < prefix_lengths[:, None]) | (targets == pad_id)] = -100
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1))


def loss_unshifted(logits, input_ids, prefix_lengths, pad_id=0):
    targets = input_ids.clone()
    targets[(torch.arange(input_ids.shape[1])[None, :] < prefix_lengths[:, None]) | (targets == pad_id)] = -100
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def loss_row_means(logits, input_ids, prefix_lengths, pad_id=0):
    rows = []
    for b in range(len(input_ids)):
        p = int(prefix_lengths[b])
        tgt = input_ids[b, p:]
        lg = logits[b, p - 1:-1]
        keep = tgt != pad_id
        rows.append(F.cross_entropy(lg[keep], tgt[keep]))
    return torch.stack(rows).mean()


# --------------------------------------------------------------------------- distillation_loss


def distil_no_t_squared(s, t, labels, temperature=2.0, alpha=0.5):
    soft = F.kl_div(F.log_softmax(s / temperature, -1), F.softmax(t / temperature, -1), reduction="batchmean")
    return alpha * soft + (1 - alpha) * F.cross_entropy(s, labels)


def distil_arguments_swapped(s, t, labels, temperature=2.0, alpha=0.5):
    soft = F.kl_div(F.log_softmax(t / temperature, -1), F.softmax(s / temperature, -1), reduction="batchmean")
    return alpha * temperature**2 * soft + (1 - alpha) * F.cross_entropy(s, labels)


def distil_default_reduction(s, t, labels, temperature=2.0, alpha=0.5):
    pt = F.softmax(t / temperature, -1)
    soft = (pt * (pt.log() - F.log_softmax(s / temperature, -1))).mean()  # "mean" over every entry
    return alpha * temperature**2 * soft + (1 - alpha) * F.cross_entropy(s, labels)


def distil_softmax_input(s, t, labels, temperature=2.0, alpha=0.5):
    ps, pt = F.softmax(s / temperature, -1), F.softmax(t / temperature, -1)
    soft = (pt * (pt.log() - ps)).sum(-1).mean()  # kl_div fed probabilities, not log-probabilities
    return alpha * temperature**2 * soft + (1 - alpha) * F.cross_entropy(s, labels)


def distil_hard_at_temperature(s, t, labels, temperature=2.0, alpha=0.5):
    soft = F.kl_div(F.log_softmax(s / temperature, -1), F.softmax(t / temperature, -1), reduction="batchmean")
    return alpha * temperature**2 * soft + (1 - alpha) * F.cross_entropy(s / temperature, labels)


WRONG = [
    ("span_lengths", lengths_failures_count, "counts_from_zero"),
    ("span_lengths", lengths_inverse_clamp, "clamped_not_renormalised"),
    ("span_lengths", lengths_multinomial_from_zero, "counts_from_zero"),
    ("span_lengths", lengths_continue_prob, "p_is_stop_probability"),
    ("span_lengths", lengths_unclipped, "not_clipped"),
    ("span_lengths", lengths_no_generator, "ignores_generator"),
    ("span_masking", spans_choice_per_token, "replacement_per_token"),
    ("span_masking", spans_budget_over_whole_row, "budget_over_all_positions"),
    ("span_masking", spans_last_span_not_cut, "budget_overshoots"),
    ("span_masking", spans_one_token_at_a_time, "tokens_not_spans"),
    ("span_masking", spans_course_tokenizer_ids, "hardcoded_token_ids"),
    ("whole_word_masking", wwm_token_level, "word_split"),
    ("whole_word_masking", wwm_one_draw_per_index, "same_draw_every_row"),
    ("whole_word_masking", wwm_only_masks, "no_random_or_keep"),
    ("whole_word_masking", wwm_course_mask_id, "hardcoded_token_ids"),
    ("discriminator_inputs", disc_greedy, "argmax_not_sampled"),
    ("discriminator_inputs", disc_label_masked, "sampled_original_counts_as_replaced"),
    ("discriminator_inputs", disc_labels_original_is_one, "labels_inverted"),
    ("discriminator_inputs", disc_bool_labels, "wrong_dtype"),
    ("electra_loss", electra_all_positions, "disc_loss_over_padding"),
    ("electra_loss", electra_unweighted, "missing_disc_weight"),
    ("electra_loss", electra_sigmoid_first, "sigmoid_applied_twice"),
    ("electra_loss", electra_masked_positions, "disc_loss_on_masked_only"),
    ("prefix_lm_mask", mask_just_causal, "causal_only"),
    ("prefix_lm_mask", mask_prefix_inclusive, "prefix_off_by_one"),
    ("prefix_lm_mask", mask_no_padding, "ignores_padding"),
    ("prefix_lm_mask", mask_three_dims, "missing_head_axis"),
    ("prefix_lm_loss", loss_everything, "loss_on_prefix_too"),
    ("prefix_lm_loss", loss_logit_positions, "prefix_boundary_off_by_one"),
    ("prefix_lm_loss", loss_unshifted, "no_shift"),
    ("prefix_lm_loss", loss_row_means, "mean_per_sequence"),
    ("distillation_loss", distil_no_t_squared, "missing_t_squared"),
    ("distillation_loss", distil_arguments_swapped, "kl_reversed"),
    ("distillation_loss", distil_default_reduction, "kl_mean_over_classes"),
    ("distillation_loss", distil_softmax_input, "student_probabilities_to_kl_div"),
    ("distillation_loss", distil_hard_at_temperature, "hard_loss_softened"),
]
