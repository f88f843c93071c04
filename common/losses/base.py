"""The base of the pair-based losses: a distance, the label masks, a formula, a reduction."""
from mxnet.gluon import HybridBlock

from .masks import label_masks


class PairwiseLoss(HybridBlock):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar.

    Computes D = ``distance(F, x)`` over the batch (B x B) and its :class:`Masks`, and
    returns ``formula(F, x, labels, dist, masks, **params)``: a subclass states its terms
    there and reduces them with ``self.reduction``. ``distance`` and ``reduction`` are
    class attributes (each loss's published choice), replaceable per instance through the
    constructor; ``params`` are the block's Gluon parameters, by name.
    """
    distance = None
    reduction = None

    def __init__(self, distance=None, reduction=None, **kwargs):
        super().__init__(**kwargs)
        if distance is not None:
            self.distance = distance
        if reduction is not None:
            self.reduction = reduction

    def hybrid_forward(self, F, x, labels, **params):
        dist = self.distance(F, x)
        return self.formula(F, x, labels, dist, label_masks(F, labels, dist), **params)

    def formula(self, F, x, labels, dist, masks, **params):
        raise NotImplementedError
