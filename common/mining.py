"""Label masks and masked reductions shared by the loss blocks (NDArray or Symbol)."""
from .distances import identity_like

# Stands in for +/- infinity in masked reductions; finite so that 0 * BIG stays 0.
BIG = 1e30


def label_masks(F, labels, like):
    """(same, positive, negative) masks in the dtype of ``like`` (an N x N matrix).

    ``same`` includes the diagonal, ``positive`` is same-label excluding
    the sample itself, ``negative`` is different-label.
    """
    eq = F.broadcast_equal(labels.reshape((-1, 1)), labels.reshape((1, -1)))
    ones, zeros = F.ones_like(like), F.zeros_like(like)
    same = F.where(eq, ones, zeros)
    eye = F.where(identity_like(F, labels), ones, zeros)
    return same, same - eye, 1 - same


def masked_min(F, x, mask, axis, keepdims=False):
    """Minimum of ``x`` over entries where ``mask`` is 1 (BIG where none is)."""
    return F.min(F.where(mask, x, F.ones_like(x) * BIG), axis=axis, keepdims=keepdims)


def masked_max(F, x, mask, axis, keepdims=False):
    """Maximum of ``x`` over entries where ``mask`` is 1 (-BIG where none is)."""
    return F.max(F.where(mask, x, F.ones_like(x) * -BIG), axis=axis, keepdims=keepdims)


def any_along(F, mask, axis, keepdims=False):
    return F.max(mask, axis=axis, keepdims=keepdims) > 0
