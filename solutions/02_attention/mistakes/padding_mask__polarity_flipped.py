def padding_mask(input_ids, pad_id):
    """Return a (B, T) bool tensor: True where input_ids holds a real token, False at pad_id.

    input_ids: (B, T) integer tensor of token ids; pad_id: the id of the padding token.
    """
    # mark the padding positions
    return input_ids == pad_id
