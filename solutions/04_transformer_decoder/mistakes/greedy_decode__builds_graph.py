def greedy_decode(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    """Greedy decoding of src_ids (B, S): long ids (B, L), L <= max_len, starting with bos_id."""
    was_training = model.training
    model.eval()
    src_mask = src_ids != pad_id
    memory = model.encode(src_ids, src_mask)
    ys = torch.full((src_ids.size(0), 1), bos_id, dtype=torch.long)
    finished = torch.zeros(src_ids.size(0), dtype=torch.bool)
    while ys.size(1) < max_len and not finished.all():
        next_ids = model.decode(ys, memory, src_mask)[:, -1].argmax(dim=-1)
        next_ids[finished] = pad_id
        ys = torch.cat([ys, next_ids[:, None]], dim=1)
        finished |= next_ids == eos_id
    model.train(was_training)
    return ys
