"""Stochastic symmetric triplet loss (Nguyen & De Baets, Neurocomputing 2020).

With squared distances D2 (unnormalised embeddings), for anchor i, target j
and impostor k:

    l_ijk = -log(exp(-D2_ij) / (exp(-D2_ij) + exp(-(D2_ik + D2_jk) / 2)))
          = softplus(D2_ij - (D2_ik + D2_jk) / 2),

which compares the impostor with both ends of the pair (i.e. with their
midpoint). Targets of i are its ``n_targets`` nearest same-class points in
the batch (by the current distances, ties to the lower index); impostors are
all other-class points. L = mean over all such triplets; the batches come
from the local (neighbourhood) sampler.
"""
from mxnet.gluon import HybridBlock

from ..distances import row_index, squared_euclidean
from ..mining import label_masks


class StochasticSymmetricTripletLoss(HybridBlock):
    def __init__(self, n_targets=5, **kwargs):
        super().__init__(**kwargs)
        if n_targets < 1:
            raise ValueError('--n-targets must be at least 1')
        self.n_targets = n_targets

    def hybrid_forward(self, F, x, labels):
        dist = squared_euclidean(F, x)
        _, positive, negative = label_masks(F, labels, dist)
        # Rank of each positive j among i's positives: closer ones, then equal ones of lower index.
        d = F.stop_gradient(dist)
        idx = row_index(F, x)
        d_ij, d_ik = d.expand_dims(2), d.expand_dims(1)              # axes (i, j, j')
        lower_index = F.broadcast_lesser(idx.reshape((1, 1, -1)), idx.reshape((1, -1, 1)))
        before = F.broadcast_lesser(d_ik, d_ij) + F.broadcast_mul(F.broadcast_equal(d_ik, d_ij),
                                                                   lower_index)
        rank = F.sum(F.broadcast_mul(before, positive.expand_dims(1)), axis=2)
        targets = positive * (rank < self.n_targets)
        # Triplet cube, axes (i, j, k): softplus(D2_ij - (D2_ik + D2_jk) / 2).
        gap = F.broadcast_sub(dist.expand_dims(2),
                              0.5 * F.broadcast_add(dist.expand_dims(1), dist.expand_dims(0)))
        valid = F.broadcast_mul(targets.expand_dims(2), negative.expand_dims(1))
        terms = F.Activation(gap, act_type='softrelu') * valid
        return F.sum(terms) / F.maximum(F.sum(valid), 1)
