"""Binomial deviance loss (Yi et al., 2014) in the form of the Deep_Metric code.

On cosine similarities S = x x^T (embeddings L2-normalised by the head), per
anchor i with at least one positive and one negative:

    l_i = mean_p log(1 + exp(-alpha (S_ip - beta)))
          + mean_n log(1 + exp(alpha * cost * (S_in - beta)))

summed and divided by the batch size. Deep_Metric's run used a positive
scale of 2 and a negative scale of 40 around 0.5: alpha 2, beta 0.5, cost 20
(Yi et al. used cost 25).
"""
from mxnet.gluon import HybridBlock

from ..mining import any_along, label_masks


def softplus(F, z):
    return F.Activation(z, act_type='softrelu')


class BinomialDevianceLoss(HybridBlock):
    def __init__(self, alpha=2.0, beta=0.5, cost=20.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha, self.beta, self.cost = alpha, beta, cost

    def hybrid_forward(self, F, x, labels):
        sim = F.dot(x, x, transpose_b=True)
        _, positive, negative = label_masks(F, labels, sim)
        pos = softplus(F, -self.alpha * (sim - self.beta)) * positive
        neg = softplus(F, self.alpha * self.cost * (sim - self.beta)) * negative
        per_anchor = (F.sum(pos, axis=1) / F.maximum(F.sum(positive, axis=1), 1)
                      + F.sum(neg, axis=1) / F.maximum(F.sum(negative, axis=1), 1))
        active = any_along(F, positive, axis=1) * any_along(F, negative, axis=1)
        return F.sum(per_anchor * active) / F.sum(F.ones_like(per_anchor))
