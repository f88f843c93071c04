"""Label masks over a batch and masked selections along an axis (NDArray and Symbol).

Masks are 0/1 matrices in the dtype of the distances. A masked reduction ignores the
entries whose mask is 0; BIG stands in for infinity there, finite so that 0 * BIG stays 0.
Masked minima and maxima send the gradient to one entry (the first extreme): MXNet's
``min`` and ``max`` send it to every tied entry, which double-counts exact duplicates
(Embedding Expansion creates each synthetic point twice).
"""
from collections import namedtuple

from .distances import identity_like

BIG = 1e30

Masks = namedtuple('Masks', 'same positive negative')
Masks.__doc__ = """same: same label, the diagonal included; positive: same label, not the
sample itself; negative: another label."""


def label_masks(F, labels, like):
    """:class:`Masks` of ``labels`` against themselves, in the dtype of ``like`` (N x N)."""
    eq = F.broadcast_equal(labels.reshape((-1, 1)), labels.reshape((1, -1)))
    ones, zeros = F.ones_like(like), F.zeros_like(like)
    same = F.where(eq, ones, zeros)
    eye = F.where(identity_like(F, labels), ones, zeros)
    return Masks(same, same - eye, 1 - same)


def fill(F, x, mask, value):
    """``x`` where ``mask`` is 1, ``value`` elsewhere (the gradient reaches x where kept)."""
    return F.where(mask, x, F.ones_like(x) * value)


def any_along(F, mask, axis, keepdims=False):
    """Whether any entry of ``mask`` is set along ``axis``."""
    return F.max(mask, axis=axis, keepdims=keepdims) > 0


def _first_extreme(F, masked, axis, largest):
    return F.argmax(masked, axis=axis) if largest else F.argmin(masked, axis=axis)


def masked_argmin(F, x, mask, axis, largest=False):
    """Index of the first minimum (``largest``: maximum) of ``x`` over the masked entries
    along ``axis`` (an arbitrary index where none is masked)."""
    return _first_extreme(F, fill(F, x, mask, -BIG if largest else BIG), axis, largest)


def masked_extreme(F, x, mask, axis, keepdims=False, largest=False):
    """min (``largest``: max) of ``x`` over the masked entries along ``axis``; BIG (-BIG)
    where none is masked. The gradient goes to the one entry picked."""
    masked = fill(F, x, mask, -BIG if largest else BIG)
    return F.pick(masked, _first_extreme(F, masked, axis, largest), axis=axis,
                  keepdims=keepdims)


def masked_min(F, x, mask, axis, keepdims=False):
    return masked_extreme(F, x, mask, axis, keepdims)


def masked_max(F, x, mask, axis, keepdims=False):
    return masked_extreme(F, x, mask, axis, keepdims, largest=True)


def masked_logsumexp(F, z, mask, axis=1, keepdims=False, plus_one=False):
    """log sum over the masked entries of exp(z) along ``axis``, shifted by the maximum.

    ``plus_one`` adds exp(0) to the sum, log(1 + sum exp(z)) (multi-similarity); its shift
    is then at least 0. Without masked entries the result is about -BIG (0 with
    ``plus_one``).
    """
    z = fill(F, z, mask, -BIG)
    top = F.max(z, axis=axis, keepdims=True)
    if plus_one:
        top = F.relu(top)
    total = F.sum(F.exp(F.broadcast_sub(z, top)), axis=axis, keepdims=keepdims)

    def shift():   # a reshape per use, so the gradient adds up in the same order as before
        return top if keepdims else top.reshape((-1,))
    if plus_one:
        total = total + F.exp(-shift())
    return F.log(total) + shift()
