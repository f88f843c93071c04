"""Lifted structured loss (Song et al., CVPR 2016) on Euclidean distances.

For a positive pair (i, j) with negatives N_i, N_j (different label) and D
the Euclidean distance of the (unnormalised) embeddings:

* ``form='smooth'`` (default): J_ij = log(sum_{k in N_i} exp(m - D_ik)
  + sum_{l in N_j} exp(m - D_jl)) + D_ij, the paper's smooth upper bound
  (its Eq. 4), which is what the paper trains and what the playground's
  port of TensorFlow's ``lifted_struct_loss`` computes;
* ``form='hard'``: J_ij = max(max_{k in N_i} (m - D_ik), max_{l in N_j} (m - D_jl))
  + D_ij, the paper's structured loss before smoothing (its Eq. 3): only the
  hardest negative of either end counts.

L = 1 / (2 |P|) * sum over unordered positive pairs of [J_ij]_+^2 (0 without
positive pairs). The playground writes this over ordered pairs as
0.25 * sum / (#ordered / 2): the same number (a test checks both forms of the
bookkeeping against each other). O(B^2) memory: the log-sum-exp over the
negatives of a pair is logaddexp of the two per-row log-sum-exps.
"""
from mxnet.gluon import HybridBlock

from ..distances import euclidean
from ..mining import BIG, label_masks, masked_max

FORMS = ('smooth', 'hard')


class LiftedStructLoss(HybridBlock):
    def __init__(self, margin=1.0, form='smooth', **kwargs):
        super().__init__(**kwargs)
        if form not in FORMS:
            raise ValueError("lifted structured loss form must be 'smooth' or 'hard', not %r"
                             % form)
        self.margin, self.form = margin, form

    def hybrid_forward(self, F, x, labels):
        dist = euclidean(F, x)
        _, positive, negative = label_masks(F, labels, dist)
        logits = self.margin - dist
        if self.form == 'hard':
            row = masked_max(F, logits, negative, axis=1)                      # H_i
            pair = F.broadcast_maximum(row.reshape((-1, 1)), row.reshape((1, -1)))
        else:
            masked = F.where(negative, logits, F.ones_like(logits) * -BIG)
            top = F.max(masked, axis=1, keepdims=True)
            row = F.log(F.sum(F.exp(F.broadcast_sub(masked, top)), axis=1, keepdims=True)) + top
            # log(exp(a_i) + exp(a_j)) for every pair, stabilised by the larger of the two.
            hi = F.broadcast_maximum(row, row.reshape((1, -1)))
            pair = hi + F.log(F.exp(F.broadcast_sub(row, hi))
                              + F.exp(F.broadcast_sub(row.reshape((1, -1)), hi)))
        j = pair + dist
        pairs = F.sum(positive)
        return 0.25 * F.sum(F.square(F.relu(j)) * positive) / F.maximum(pairs / 2, 1)
