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
from mxnet.gluon import HybridBlock

from ..distances import euclidean
from ..mining import BIG, label_masks


class RankedListLoss(HybridBlock):
    def __init__(self, alpha=1.2, margin=0.4, temperature=10.0, detach_weights=False, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= margin <= alpha:
            raise ValueError('ranked list loss needs 0 <= --margin <= --alpha')
        self.alpha, self.margin, self.temperature = alpha, margin, temperature
        self.detach_weights = detach_weights

    def hybrid_forward(self, F, x, labels):
        dist = euclidean(F, x)
        _, positive, negative = label_masks(F, labels, dist)
        bound = self.alpha - self.margin
        hard_pos = positive * (dist > bound)
        pos_loss = F.sum((dist - bound) * hard_pos, axis=1) / F.maximum(F.sum(hard_pos, axis=1), 1)
        hard_neg = negative * (dist < self.alpha)
        exponent = self.temperature * (self.alpha - dist)
        if self.detach_weights:
            exponent = F.stop_gradient(exponent)
        exponent = F.where(hard_neg, exponent, F.ones_like(exponent) * -BIG)
        weights = F.softmax(exponent, axis=1) * hard_neg
        neg_loss = F.sum(weights * (self.alpha - dist), axis=1)
        per_anchor = pos_loss + neg_loss
        return F.sum(per_anchor) / F.maximum(F.sum(per_anchor > 0), 1)
