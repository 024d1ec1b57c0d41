def greedy_decode(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    """Greedy decoding of src_ids (B, S): long ids (B, L), L <= max_len, starting with bos_id."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        src_mask = src_ids != pad_id
        memory = model.encode(src_ids, src_mask)
        ys = torch.full((src_ids.size(0), 1), bos_id, dtype=torch.long)
        done = torch.zeros(src_ids.size(0), dtype=torch.bool)
        for _ in range(max_len - 1):
            logits = model.decode(ys, memory, src_mask)
            next_ids = logits[:, -1, :].argmax(dim=-1)
            ys = torch.cat([ys, next_ids.unsqueeze(1)], dim=1)
            done = done | (next_ids == eos_id)
            if done.all():
                break
    model.train(was_training)
    return ys
