"""Neighbourhood components analysis over the batch (Goldberger et al., 2004).

Each anchor i picks a neighbour k != i with probability softmax_k(-s D2_ik)
(squared Euclidean distances, scale s); the loss is -log of the probability
that it picks one of its own class, averaged over the anchors that have a
same-class partner in the batch.
"""
from .base import PairwiseLoss
from .distances import SquaredEuclidean
from .masks import any_along, masked_logsumexp
from .reductions import Mean


class NCALoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        scale (float): the inverse temperature of the neighbour softmax.
    """
    distance, reduction = SquaredEuclidean(), Mean()   # over the anchors with a partner

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def formula(self, F, x, labels, dist, masks):
        logits = -self.scale * dist
        others = 1 - (masks.same - masks.positive)  # everyone but the anchor itself
        per_anchor = (masked_logsumexp(F, logits, others)
                      - masked_logsumexp(F, logits, masks.positive))
        return self.reduction(F, per_anchor, any_along(F, masks.positive, axis=1))
