"""Lifted structured loss (Song et al., CVPR 2016) on Euclidean distances.

For a positive pair (i, j) with negatives N_i, N_j (different label) and D
the Euclidean distance of the (unnormalised) embeddings:

* ``form='smooth'`` (default): J_ij = log(sum_{k in N_i} exp(m - D_ik)
  + sum_{l in N_j} exp(m - D_jl)) + D_ij, the paper's smooth upper bound (its Eq. 4);
* ``form='hard'``: J_ij = max(max_{k in N_i} (m - D_ik), max_{l in N_j} (m - D_jl))
  + D_ij, the paper's structured loss before smoothing (its Eq. 3): only the
  hardest negative of either end counts.

L = 1 / (2 |P|) * sum over unordered positive pairs of [J_ij]_+^2, i.e. half the mean
over ordered positive pairs (0 without positive pairs). O(B^2) memory: the log-sum-exp
over the negatives of a pair is logaddexp of the two per-row log-sum-exps.
"""
from .base import PairwiseLoss
from .distances import Euclidean
from .masks import masked_logsumexp, masked_max
from .parameters import check_parameters, one_of
from .reductions import Mean

FORMS = ('smooth', 'hard')


class LiftedStructLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        margin (float): the margin on distances.
        form (one of 'smooth', 'hard'): smooth: a log-sum-exp over the negatives (the
            paper's Eq. 4, the playground's); hard: the hardest negative only (Eq. 3).
    """
    parameter_checks = {'form': one_of(*FORMS)}
    distance, reduction = Euclidean(), Mean()   # over the ordered positive pairs

    def __init__(self, margin=1.0, form='smooth', **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), form=form)
        self.margin, self.form = margin, form

    def formula(self, F, x, labels, dist, masks):
        logits = self.margin - dist
        if self.form == 'hard':
            row = masked_max(F, logits, masks.negative, axis=1)                # H_i
            pair = F.broadcast_maximum(row.reshape((-1, 1)), row.reshape((1, -1)))
        else:
            row = masked_logsumexp(F, logits, masks.negative, keepdims=True)
            # log(exp(a_i) + exp(a_j)) for every pair, stabilised by the larger of the two.
            hi = F.broadcast_maximum(row, row.reshape((1, -1)))
            pair = hi + F.log(F.exp(F.broadcast_sub(row, hi))
                              + F.exp(F.broadcast_sub(row.reshape((1, -1)), hi)))
        j = pair + dist
        return 0.5 * self.reduction(F, F.square(F.relu(j)), masks.positive)
