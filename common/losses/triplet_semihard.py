"""Triplet loss with semi-hard negative mining, the playground's (TensorFlow's) rule.

Schroff et al. (FaceNet, CVPR 2015), in the form of TensorFlow's
``triplet_semihard_loss`` that the playground ports. With squared Euclidean
distances D over the batch, for every ordered positive pair (a, p), a != p:

* semi-hard negative: the closest n with y_n != y_a and D_an > D_ap;
* if there is none, the farthest negative of a;
* loss term: max(0, margin + D_ap - D_an).

The loss is the mean over the positive pairs whose anchor has a negative in the batch
(a triplet without a negative is not defined; 0 without any such pair).
"""
from .base import PairwiseLoss
from .distances import SquaredEuclidean
from .masks import BIG, any_along, fill
from .reductions import Mean
from .sorted_search import count_reached


class TripletSemiHardLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    O(B^2 log B) time, O(B^2) memory: each anchor's negatives are sorted once, and for
    every positive pair the number c of negatives with D_an <= D_ap is found by a binary
    search in them (``count_reached``: a fixed number of halving steps, each O(B^2)). The
    semi-hard negative is then the (c+1)-th nearest, and the farthest one when c is all
    of them. Among negatives at exactly the same distance the sort decides which one
    receives the gradient (the value is the same).

    Parameters:
        margin (float): the triplet margin on squared distances.
    """

    distance, reduction = SquaredEuclidean(), Mean()   # over the counted positive pairs

    def __init__(self, margin=1.0, **kwargs):
        super().__init__(**kwargs)
        self.margin = margin

    def formula(self, F, x, labels, dist, masks):
        negative = masks.negative
        d = F.stop_gradient(dist)
        # Indices in the loss's dtype (argsort gives float32): taken from an arange.
        negatives_only = fill(F, d, negative, BIG)
        order = F.take(F.contrib.arange_like(d, axis=1), F.argsort(negatives_only, axis=1))
        rows = F.broadcast_like(F.contrib.arange_like(d, axis=0).reshape((-1, 1)), d)

        def at(matrix, columns):        # matrix[a, columns[a, j]] for every (a, j)
            return F.gather_nd(matrix, F.stack(rows, columns, axis=0))
        nearest = at(negatives_only, order)         # ascending, BIG after the negatives
        count = F.sum(negative, axis=1, keepdims=True)
        below = count_reached(F, nearest, d)        # #{n negative: D_an <= D_ap}, never BIG
        semi_hard = F.broadcast_lesser(below, count)
        rank = F.where(semi_hard, below, F.broadcast_like(F.relu(count - 1), below))
        d_neg = at(dist, at(order, rank))           # the gradient flows to that negative
        valid = F.broadcast_mul(masks.positive, any_along(F, negative, axis=1, keepdims=True))
        return self.reduction(F, F.relu(self.margin + dist - d_neg), valid)
