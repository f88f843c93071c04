"""Triplet loss with semi-hard negative mining, the playground's (TensorFlow's) rule.

Schroff et al. (FaceNet, CVPR 2015), in the form of TensorFlow's
``triplet_semihard_loss`` that the playground ports. With squared Euclidean
distances D over the batch, for every ordered positive pair (a, p), a != p:

* semi-hard negative: the closest n with y_n != y_a and D_an > D_ap;
* if there is none, the farthest negative of a;
* loss term: max(0, margin + D_ap - D_an).

Reduction: the sum of the terms divided by the number of positive pairs
counted (at least 1), i.e. the mean over positive pairs.

Difference from the playground: a pair whose anchor has no negative in the
batch (a batch of one class) is left out. The playground's masked maximum
then falls back to the smallest distance of the row, 0, and adds
``margin + D_ap`` for such pairs; a triplet without a negative is not
defined, so we count nothing for it.
"""
from mxnet.gluon import HybridBlock

from ..distances import squared_euclidean
from ..mining import BIG, any_along, label_masks

# Halving steps of the search for d_ap among an anchor's sorted negatives: 2^SEARCH_STEPS - 1
# negatives per anchor at most, far beyond any batch whose B x B distances fit in memory.
SEARCH_STEPS = 20


class TripletSemiHardLoss(HybridBlock):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    O(B^2 log B): each anchor's negatives are sorted once, and for every positive pair
    the number c of negatives with D_an <= D_ap is found by a binary search in them (a
    fixed number of halving steps, each one O(B^2)); the semi-hard negative is then the
    (c+1)-th nearest, and the farthest one when c is all of them. Among negatives at
    exactly the same distance the sort decides which one receives the gradient.
    """

    def __init__(self, margin=1.0, **kwargs):
        super().__init__(**kwargs)
        self.margin = margin

    def hybrid_forward(self, F, embeddings, labels):
        dist = squared_euclidean(F, embeddings)
        _, positive, negative = label_masks(F, labels, dist)
        d = F.stop_gradient(dist)
        # Column n of row a, for an (a, j) matrix of column indices.
        order = F.argsort(F.where(negative, d, F.ones_like(d) * BIG), axis=1)  # nearest first
        rows = F.broadcast_like(F.contrib.arange_like(order, axis=0).reshape((-1, 1)), order)

        def at(matrix, columns):
            return F.gather_nd(matrix, F.stack(rows, columns, axis=0))
        nearest = at(d, order)                      # a's distances in that order
        count = F.sum(negative, axis=1, keepdims=True)
        width = F.sum(F.ones_like(count.reshape((1, -1))), axis=1, keepdims=True)  # B, (1, 1)
        # below[a, p] = #{n negative: D_an <= D_ap}: the largest c with nearest[a, c-1] <= D_ap
        # (the entries past the negatives are BIG, so c never goes beyond them).
        below = F.zeros_like(d)
        for step in (2 ** s for s in reversed(range(SEARCH_STEPS))):
            trial = below + step
            fits = F.broadcast_lesser_equal(trial, width)
            probe = at(nearest, F.broadcast_minimum(trial, width) - 1)
            below = below + step * fits * (probe <= d)
        semi_hard = F.broadcast_lesser(below, count)
        rank = F.where(semi_hard, below, F.broadcast_like(F.relu(count - 1), below))
        d_neg = at(dist, at(order, rank))           # the gradient flows to that negative
        valid = F.broadcast_mul(positive, any_along(F, negative, axis=1, keepdims=True))
        terms = F.relu(self.margin + dist - d_neg) * valid
        return F.sum(terms) / F.maximum(F.sum(valid), 1)
