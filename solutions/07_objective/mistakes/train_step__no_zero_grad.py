def train_step(model, batch, loss_fn, optimizer, max_grad_norm):
    """One training iteration; returns the loss of this batch as a Python float."""
    # The mistake: no optimizer.zero_grad(), so gradients pile up from step to step.
    loss = loss_fn(model, batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()
