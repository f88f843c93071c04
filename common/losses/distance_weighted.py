"""Distance-weighted negative sampling (Wu et al., ICCV 2017), the margin loss's miner."""
from mxnet.gluon import HybridBlock

from .distances import Euclidean
from .masks import BIG, fill, label_masks, masked_max
from .reductions import divide
from .sorted_search import count_reached


class DistanceWeightedSampler(HybridBlock):
    """Draws a negative for every (anchor, column) pair of the batch.

    Negatives of anchor i are drawn with probability proportional to the inverse density
    of distances between random points on the unit sphere, q(d)^-1 with
    log q(d) = (n-2) log d + (n-3)/2 log(1 - d^2/4) (n = the embedding dimension), for
    distances clamped to [cutoff, 2 - 1e-6] and only among negatives closer than
    ``nonzero_loss_cutoff`` (farther ones cannot contribute to a margin loss). The weights
    are normalised per row in log space; a row with no such negative samples its
    negatives uniformly.

    ``forward(x, labels)`` returns a (B, B) matrix: entry (a, j) is a negative drawn
    independently for the pair (a, j), by inverse-CDF sampling from MXNet's seeded
    generator (a binary search in each row's CDF, O(B^2 log B)). Rows without any negative
    hold arbitrary indices; the loss masks them.

    Parameters:
        cutoff (float): distances below this count as this.
        nonzero_loss_cutoff (float): negatives farther than this are never drawn.
    """
    # Never differentiated (its input is stopped): the plain square root.
    distance = Euclidean(eps=0, exact_zero=False)

    def __init__(self, cutoff=0.5, nonzero_loss_cutoff=1.4, **kwargs):
        super().__init__(**kwargs)
        self.cutoff, self.nonzero_loss_cutoff = cutoff, nonzero_loss_cutoff

    def probabilities(self, F, x, labels):
        dist = self.distance(F, x)
        dim = F.sum(F.ones_like(x), axis=1, keepdims=True)
        clamped = F.clip(dist, self.cutoff, 2 - 1e-6)
        log_density = (F.broadcast_mul(dim - 2, F.log(clamped))
                       + F.broadcast_mul((dim - 3) / 2, F.log(1 - F.square(clamped) / 4)))
        log_weight = -log_density
        negative = label_masks(F, labels, dist).negative
        allowed = negative * (dist < self.nonzero_loss_cutoff)
        top = masked_max(F, log_weight, allowed, axis=1, keepdims=True)
        # Masked entries get exp(-BIG) = 0 rather than inf * 0.
        weight = F.exp(fill(F, F.broadcast_sub(log_weight, top), allowed, -BIG))
        total = F.sum(weight, axis=1, keepdims=True)
        uniform = divide(F, negative, F.sum(negative, axis=1, keepdims=True))
        return F.where(F.broadcast_like(total > 0, weight),
                       F.broadcast_div(weight, F.maximum(total, 1e-30)), uniform)

    def hybrid_forward(self, F, x, labels):
        prob = self.probabilities(F, F.stop_gradient(x), labels)
        cdf = F.cumsum(prob, axis=1)
        total = F.slice_axis(cdf, axis=1, begin=-1, end=None)               # (B, 1)
        # u in (0, 1) times the row total: never beyond the last non-zero entry.
        u = F.broadcast_mul(F.random.uniform_like(prob) * (1 - 2e-7) + 1e-7, total)
        return count_reached(F, cdf, u, strict=True)                        # #{k: cdf_k < u}
