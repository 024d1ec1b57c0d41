def shift_right(labels, start_id, pad_id):
    '''The decoder input for teacher forcing: start_id, then labels shifted right; -100 -> pad_id.'''
    decoder_input = torch.full_like(labels, start_id)
    decoder_input[:, 1:] = labels[:, :-1]
    return decoder_input
