def make_nsp_pairs(documents, *, generator=None):
    """(A, B, label) for every sentence that has a next one: label 0 IsNext, 1 NotNext (another document)."""
    pairs = []
    for doc in documents:
        for i in range(len(doc) - 1):
            if torch.rand((), generator=generator) < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                # The mistake: any document may be drawn, A's own included.
                other = int(torch.randint(len(documents), (), generator=generator))
                j = int(torch.randint(len(documents[other]), (), generator=generator))
                pairs.append((doc[i], documents[other][j], 1))
    return pairs
