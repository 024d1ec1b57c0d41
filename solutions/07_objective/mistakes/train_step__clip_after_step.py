def train_step(model, batch, loss_fn, optimizer, max_grad_norm):
    """One training iteration; returns the loss of this batch as a Python float."""
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    # The mistake: the gradients are clipped after they have been used.
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    return loss.item()
