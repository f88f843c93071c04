"""Ranked list loss (Wang et al., CVPR 2019), in the playground's form.

With Euclidean distances D (embeddings L2-normalised by the head), negative
boundary alpha and positive boundary alpha - margin:

* positives farther than alpha - margin: l+_i = mean_j (D_ij - (alpha - margin));
* negatives closer than alpha, weighted by w_ij = exp(T (alpha - D_ij))
  normalised over those negatives: l-_i = sum_j w~_ij (alpha - D_ij);
* L = sum_i (l+_i + l-_i) / max(1, #{i: l+_i + l-_i > 0}).

The weights are computed as a softmax over the mined negatives (the same
values, without the overflow of exp(T (alpha - D)) at large T). As in the
playground the gradient flows through the weights; ``detach_weights=True``
treats them as constants, as the paper's gradient derivation does.
"""
from .base import PairwiseLoss
from .distances import Euclidean
from .masks import BIG, fill
from .parameters import ParameterError, at_least, check_parameters
from .reductions import Mean, MeanNonZero

PER_ANCHOR_MEAN = Mean(axis=1)


class RankedListLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        alpha (float): the negative boundary.
        margin (float): positives must lie within alpha - margin.
        temperature (float): T of the negative weights exp(T (alpha - d)).
        detach_weights (bool): no gradient through the negative weights (the paper).
    """
    parameter_checks = {'margin': at_least(0)}

    @staticmethod
    def check_together(values):
        if values.get('margin', 0) > values.get('alpha', float('inf')):
            raise ParameterError('margin', 'be at most alpha (%g)' % values['alpha'],
                                 values['margin'])
    distance, reduction = Euclidean(), MeanNonZero()   # over the anchors

    def __init__(self, alpha=1.2, margin=0.4, temperature=10.0, detach_weights=False, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), alpha=alpha, margin=margin)
        self.alpha, self.margin, self.temperature = alpha, margin, temperature
        self.detach_weights = detach_weights

    def formula(self, F, x, labels, dist, masks):
        bound = self.alpha - self.margin
        pos_loss = PER_ANCHOR_MEAN(F, dist - bound, masks.positive * (dist > bound))
        hard_neg = masks.negative * (dist < self.alpha)
        exponent = self.temperature * (self.alpha - dist)
        if self.detach_weights:
            exponent = F.stop_gradient(exponent)
        weights = F.softmax(fill(F, exponent, hard_neg, -BIG), axis=1) * hard_neg
        neg_loss = F.sum(weights * (self.alpha - dist), axis=1)
        return self.reduction(F, pos_loss + neg_loss)
