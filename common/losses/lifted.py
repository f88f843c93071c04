"""Lifted structured losses: Song et al.'s (CVPR 2016) and two later per-anchor forms.

:class:`LiftedStructLoss`, Song et al. For a positive pair (i, j) with negatives N_i,
N_j (different label) and D the Euclidean distance of the (unnormalised) embeddings:

* ``form='smooth'`` (default): J_ij = log(sum_{k in N_i} exp(m - D_ik)
  + sum_{l in N_j} exp(m - D_jl)) + D_ij, the paper's smooth upper bound (its Eq. 4);
* ``form='hard'``: J_ij = max(max_{k in N_i} (m - D_ik), max_{l in N_j} (m - D_jl))
  + D_ij, the paper's structured loss before smoothing (its Eq. 3): only the
  hardest negative of either end counts.

L = 1 / (2 |P|) * sum over unordered positive pairs of [J_ij]_+^2, i.e. half the mean
over ordered positive pairs (0 without positive pairs). O(B^2) memory: the log-sum-exp
over the negatives of a pair is logaddexp of the two per-row log-sum-exps.

:class:`DeepMetricLiftedLoss`, the "modified" lifted structure loss of the Deep_Metric
code (bnu-wangxun, ``losses/LiftedStructure.py``). On cosine similarities S of the
L2-normalised embeddings, per anchor i with positives P_i (same label, not i) and
negatives N_i:

    l_i = 2/beta log sum_{p in P_i} exp(-beta S_ip) + 2/alpha log sum_{n in N_i} exp(alpha S_in)

with no hinge and no square, so l_i can be negative (about -4 with the positives at
S = 1 and the negatives at S = -1); Deep_Metric's alpha 40, beta 2 (its margin is
unused). L = sum_i l_i / B, the batch size, as the code divides; anchors without a
negative count as 0 (the code skips them), and so do anchors without a positive (where
the code's empty log-sum gives -inf). The code drops self from the positives by S < 1,
which also drops exact duplicates and may keep self through rounding; here P_i is every
other sample of the label.

:class:`GeneralizedLiftedLoss`, the generalised lifted embedding loss of Hermans et
al. (2017, "In defense of the triplet loss"), per anchor on the
Euclidean (not squared) distances D of the embeddings as given:

    l_i = [log sum_{p in P_i} exp(D_ip) + log sum_{n in N_i} exp(m - D_in)]_+

with m 1 and P_i not holding i itself (as pytorch-metric-learning's
GeneralizedLiftedStructureLoss); L = the mean of l_i over the anchors with a positive
and a negative (0 without any; the others contribute nothing: the paper writes a sum
over the anchors of P x K batches, where every anchor has both).
"""
from .base import PairwiseLoss
from .distances import Cosine, Euclidean
from .masks import any_along, fill, masked_logsumexp, masked_max
from .parameters import check_parameters, one_of, positive
from .reductions import Mean, MeanOverBatch

FORMS = ('smooth', 'hard')


def has_positive_and_negative(F, masks):
    """1 for the anchors with at least one positive and one negative, else 0 (B,)."""
    return any_along(F, masks.positive, axis=1) * any_along(F, masks.negative, axis=1)


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


class DeepMetricLiftedLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        alpha (float): the scale of the negative similarities.
        beta (float): the scale of the positive similarities.
    """
    parameter_checks = {'alpha': positive(), 'beta': positive()}
    # Cosine of the normalised embeddings (Deep_Metric's head normalised); the sum over
    # the anchors divided by the batch size (its code).
    distance, reduction = Cosine(), MeanOverBatch()

    def __init__(self, alpha=40.0, beta=2.0, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), alpha=alpha, beta=beta)
        self.alpha, self.beta = alpha, beta

    def formula(self, F, x, labels, sim, masks):
        pos = masked_logsumexp(F, -self.beta * sim, masks.positive) * (2.0 / self.beta)
        neg = masked_logsumexp(F, self.alpha * sim, masks.negative) * (2.0 / self.alpha)
        active = has_positive_and_negative(F, masks)
        # An empty log-sum is about -BIG: the anchor's term is replaced by 0, not multiplied.
        return self.reduction(F, fill(F, pos + neg, active, 0), active)


class GeneralizedLiftedLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        neg_margin (float): the margin m on the negatives' distances.
    """
    distance, reduction = Euclidean(), Mean()   # over the anchors with both kinds

    def __init__(self, neg_margin=1.0, **kwargs):
        super().__init__(**kwargs)
        self.neg_margin = neg_margin

    def formula(self, F, x, labels, dist, masks):
        pos = masked_logsumexp(F, dist, masks.positive)
        neg = masked_logsumexp(F, self.neg_margin - dist, masks.negative)
        active = has_positive_and_negative(F, masks)
        return self.reduction(F, fill(F, F.relu(pos + neg), active, 0), active)
