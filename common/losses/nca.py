"""Neighbourhood components analysis over the batch (Goldberger et al., 2004).

Each anchor i picks a neighbour k != i with probability softmax_k(-s D2_ik)
(squared Euclidean distances, scale s); the loss is -log of the probability
that it picks one of its own class, averaged over the anchors that have a
same-class partner in the batch.
"""
from mxnet.gluon import HybridBlock

from ..distances import squared_euclidean
from ..mining import BIG, any_along, label_masks


def masked_logsumexp(F, z, mask):
    z = F.where(mask, z, F.ones_like(z) * -BIG)
    top = F.max(z, axis=1, keepdims=True)
    return (F.log(F.sum(F.exp(F.broadcast_sub(z, top)), axis=1, keepdims=True)) + top).reshape(
        (-1,))


class NCALoss(HybridBlock):
    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def hybrid_forward(self, F, x, labels):
        logits = -self.scale * squared_euclidean(F, x)
        same, positive, _ = label_masks(F, labels, logits)
        others = 1 - (same - positive)  # everyone but the anchor itself
        per_anchor = masked_logsumexp(F, logits, others) - masked_logsumexp(F, logits, positive)
        active = any_along(F, positive, axis=1)
        return F.sum(per_anchor * active) / F.maximum(F.sum(active), 1)
