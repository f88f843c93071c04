"""Label masks, masked reductions and negative samplers shared by the loss blocks."""
from mxnet.gluon import HybridBlock

from .distances import identity_like, squared_euclidean

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
    """Minimum of ``x`` over entries where ``mask`` is 1 (BIG where none is).

    The gradient goes to one entry, the first minimum. MXNet's ``min``
    sends the full gradient to every tied entry, which double-counts exact
    duplicates (Embedding Expansion creates each synthetic point twice).
    """
    masked = F.where(mask, x, F.ones_like(x) * BIG)
    return F.pick(masked, F.argmin(masked, axis=axis), axis=axis, keepdims=keepdims)


def masked_max(F, x, mask, axis, keepdims=False):
    """Maximum of ``x`` over entries where ``mask`` is 1 (-BIG where none is); see masked_min."""
    masked = F.where(mask, x, F.ones_like(x) * -BIG)
    return F.pick(masked, F.argmax(masked, axis=axis), axis=axis, keepdims=keepdims)


def any_along(F, mask, axis, keepdims=False):
    return F.max(mask, axis=axis, keepdims=keepdims) > 0


# Halving steps of :func:`count_reached`: rows of up to 2^20 - 1 entries, far beyond any
# batch whose B x B matrices fit in memory. A fixed count, because a hybridized graph
# does not know the batch size.
SEARCH_STEPS = 20


def count_reached(F, ascending, queries, strict=False):
    """For each query q[i, j], how many entries of row i of ``ascending`` are <= q
    (``strict``: < q); the rows must be sorted ascending.

    A binary search, vectorised over all queries: SEARCH_STEPS steps of O(B x Q) each, in
    place of the B x Q x W comparison cube. The result is in the queries' dtype.
    """
    rows = F.broadcast_like(F.contrib.arange_like(queries, axis=0).reshape((-1, 1)), queries)
    first_row = F.slice_axis(ascending, axis=0, begin=0, end=1)
    width = F.sum(F.ones_like(first_row), axis=1, keepdims=True)             # (1, 1): W
    count = F.zeros_like(queries)
    for step in (2 ** s for s in reversed(range(SEARCH_STEPS))):
        trial = count + step
        probe = F.gather_nd(ascending,
                            F.stack(rows, F.broadcast_minimum(trial, width) - 1, axis=0))
        reached = probe < queries if strict else probe <= queries
        count = count + step * F.broadcast_lesser_equal(trial, width) * reached
    return count


class DistanceWeightedSampler(HybridBlock):
    """Distance-weighted negative sampling (Wu et al., ICCV 2017).

    Negatives of anchor i are drawn with probability proportional to the
    inverse density of distances between random points on the unit sphere,
    q(d)^-1 with log q(d) = (n-2) log d + (n-3)/2 log(1 - d^2/4) (n = the
    embedding dimension), for distances clamped to [cutoff, 2 - 1e-6] and
    only among negatives closer than ``nonzero_loss_cutoff`` (farther ones
    cannot contribute to a margin loss). The weights are normalised per row
    in log space; a row with no such negative samples its negatives
    uniformly (the playground divided by zero there and drew from NaN).

    ``forward(x, labels)`` returns a (B, B) matrix: entry (a, j) is a negative
    drawn independently for the pair (a, j), by inverse-CDF sampling from
    MXNet's seeded generator (a binary search in each row's CDF, O(B^2 log B)). Rows
    without any negative hold arbitrary indices; the loss masks them.
    """

    def __init__(self, cutoff=0.5, nonzero_loss_cutoff=1.4, **kwargs):
        super().__init__(**kwargs)
        self.cutoff, self.nonzero_loss_cutoff = cutoff, nonzero_loss_cutoff

    def probabilities(self, F, x, labels):
        dist = F.sqrt(squared_euclidean(F, x))
        dim = F.sum(F.ones_like(x), axis=1, keepdims=True)
        clamped = F.clip(dist, self.cutoff, 2 - 1e-6)
        log_density = (F.broadcast_mul(dim - 2, F.log(clamped))
                       + F.broadcast_mul((dim - 3) / 2, F.log(1 - F.square(clamped) / 4)))
        log_weight = -log_density
        _, _, negative = label_masks(F, labels, dist)
        allowed = negative * (dist < self.nonzero_loss_cutoff)
        top = masked_max(F, log_weight, allowed, axis=1, keepdims=True)
        # Masked entries get exp(-BIG) = 0 rather than inf * 0.
        weight = F.exp(F.where(allowed, F.broadcast_sub(log_weight, top),
                               F.ones_like(log_weight) * -BIG))
        total = F.sum(weight, axis=1, keepdims=True)
        uniform = F.broadcast_div(negative, F.maximum(F.sum(negative, axis=1, keepdims=True), 1))
        return F.where(F.broadcast_like(total > 0, weight),
                       F.broadcast_div(weight, F.maximum(total, 1e-30)), uniform)

    def hybrid_forward(self, F, x, labels):
        prob = self.probabilities(F, F.stop_gradient(x), labels)
        cdf = F.cumsum(prob, axis=1)
        total = F.slice_axis(cdf, axis=1, begin=-1, end=None)               # (B, 1)
        # u in (0, 1) times the row total: never beyond the last non-zero entry.
        u = F.broadcast_mul(F.random.uniform_like(prob) * (1 - 2e-7) + 1e-7, total)
        return count_reached(F, cdf, u, strict=True)                        # #{k: cdf_k < u}
