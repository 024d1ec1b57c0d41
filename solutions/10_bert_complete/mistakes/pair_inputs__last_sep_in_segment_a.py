def pair_inputs(tokens_a, tokens_b, max_len):
    """[CLS] A [SEP] B [SEP] of at most max_len tokens, and its token-type ids: two (L,) long tensors."""
    a, b = tokens_a.tolist(), tokens_b.tolist()
    while len(a) + len(b) > max_len - 3:
        if len(a) > len(b):
            a.pop()
        else:
            b.pop()
    input_ids = torch.tensor([CLS_ID] + a + [SEP_ID] + b + [SEP_ID])
    # The mistake: the special tokens all get segment 0, B's words alone segment 1.
    token_type_ids = torch.tensor([0] * (len(a) + 2) + [1] * len(b) + [0])
    return input_ids, token_type_ids
