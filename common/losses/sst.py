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
from .base import PairwiseLoss
from .distances import SquaredEuclidean
from .masks import BIG, fill
from .parameters import at_least, check_parameters
from .reductions import Mean


class StochasticSymmetricTripletLoss(PairwiseLoss):
    """O(B^2 T) time and memory (T = ``n_targets``): the triplets live in a (i, t, k) array
    over each anchor's T target slots rather than a B x B x B cube.

    Parameters:
        n_targets (int): the nearest same-class images used as targets of an anchor.
    """
    parameter_checks = {'n_targets': at_least(1, integer=True)}
    distance, reduction = SquaredEuclidean(), Mean()   # over the triplets

    def __init__(self, n_targets=5, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), n_targets=n_targets)
        self.n_targets = n_targets

    def _targets(self, F, d, positive):
        """Mask of each anchor's ``n_targets`` nearest positives (ties to the lower index).

        v is the T-th smallest positive distance (BIG with fewer than T positives): all
        positives closer than v are targets, and the positives at exactly v fill the
        remaining places in index order (a running count), with no B x B x B rank cube.
        """
        t = self.n_targets
        key = self._pad(F, fill(F, d, positive, BIG), BIG)
        v = F.slice_axis(F.topk(key, axis=1, k=t, ret_typ='value', is_ascend=True), axis=1,
                         begin=t - 1, end=t)
        closer = positive * F.broadcast_lesser(d, v)
        tied = positive * F.broadcast_equal(d, v)
        room = t - F.sum(closer, axis=1, keepdims=True)
        return closer + tied * F.broadcast_lesser_equal(F.cumsum(tied, axis=1), room)

    def _pad(self, F, m, value):
        """``m`` with T more columns of ``value``: top-T works for batches of at most T."""
        column = F.slice_axis(F.zeros_like(m), axis=1, begin=0, end=1)
        return F.concat(m, F.tile(column, reps=(1, self.n_targets)) + value, dim=1)

    def formula(self, F, x, labels, dist, masks):
        targets = self._targets(F, F.stop_gradient(dist), masks.positive)
        # Slot t of anchor i: the column of one of its targets (padding columns when it has
        # fewer than T, marked invalid by ``in_use``).
        slots = F.topk(self._pad(F, targets, 0), axis=1, k=self.n_targets, ret_typ='indices')
        rows = F.contrib.arange_like(slots, axis=0)       # in the indices' dtype, not x's
        where = F.stack(F.broadcast_like(rows.reshape((-1, 1)), slots), slots, axis=0)
        in_use = F.gather_nd(self._pad(F, targets, 0), where)                    # (i, t)
        d_ij = F.gather_nd(self._pad(F, dist, 0), where)                         # (i, t)
        d_jk = F.take(dist, slots, mode='clip')                                  # (i, t, k)
        # softplus(D2_ij - (D2_ik + D2_jk) / 2) for every target slot and impostor k.
        gap = F.broadcast_sub(d_ij.expand_dims(2),
                              0.5 * F.broadcast_add(dist.expand_dims(1), d_jk))
        valid = F.broadcast_mul(in_use.expand_dims(2), masks.negative.expand_dims(1))
        return self.reduction(F, F.Activation(gap, act_type='softrelu'), valid)
