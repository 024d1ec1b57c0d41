def teacher_forcing_batch(tgt_ids, bos_id, pad_id):
    """tgt_ids (B, T) -> (tgt_in, labels): tgt_in = <s> followed by tgt_ids shifted right by
    one; labels = tgt_ids with -100 where tgt_ids is pad_id."""
    tgt_in = tgt_ids.clone()
    labels = tgt_ids.masked_fill(tgt_ids == pad_id, -100)
    return tgt_in, labels
