# ruff: noqa: F821
# A notebook solution cell: torch, nn, F, math and the earlier cells' names are defined above it.
# sample-expect: check_EncoderLayer=0
# sample-expect: check_Encoder=0
def sublayer_connection(x, sublayer, norm, norm_first=False):
    """Post-norm (norm_first=False) or pre-norm (norm_first=True) residual wiring of one sub-layer."""
    if norm_first:
        x = norm(x)
        return x + sublayer(x)
    return norm(x + sublayer(x))
