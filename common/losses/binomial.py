"""Binomial deviance loss (Yi et al., 2014) in the form of the Deep_Metric code.

On cosine similarities S = x x^T (embeddings L2-normalised by the head), per
anchor i with at least one positive and one negative:

    l_i = mean_p log(1 + exp(-alpha (S_ip - beta)))
          + mean_n log(1 + exp(alpha * cost * (S_in - beta)))

summed and divided by the batch size. Deep_Metric's run used a positive
scale of 2 and a negative scale of 40 around 0.5: alpha 2, beta 0.5, cost 20
(Yi et al. used cost 25).
"""
from .base import PairwiseLoss
from .distances import Cosine
from .masks import any_along
from .reductions import Mean, MeanOverBatch

PER_ANCHOR_MEAN = Mean(axis=1)


def softplus(F, z):
    return F.Activation(z, act_type='softrelu')


class BinomialDevianceLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        alpha (float): the scale of the deviance.
        beta (float): the similarity threshold.
        cost (float): the extra weight of negative pairs (Deep_Metric: 40 / 2).
    """
    distance, reduction = Cosine(normalize=False), MeanOverBatch()   # Deep_Metric

    def __init__(self, alpha=2.0, beta=0.5, cost=20.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha, self.beta, self.cost = alpha, beta, cost

    def formula(self, F, x, labels, sim, masks):
        pos = softplus(F, -self.alpha * (sim - self.beta))
        neg = softplus(F, self.alpha * self.cost * (sim - self.beta))
        per_anchor = (PER_ANCHOR_MEAN(F, pos, masks.positive)
                      + PER_ANCHOR_MEAN(F, neg, masks.negative))
        active = any_along(F, masks.positive, axis=1) * any_along(F, masks.negative, axis=1)
        return self.reduction(F, per_anchor, active)
