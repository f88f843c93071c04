"""Contrastive loss with positive and negative margins (Hadsell et al. 2006, hinge form).

Over all pairs, with Euclidean distances D: positive pairs contribute
[D - pos_margin]_+, negative pairs [neg_margin - D]_+. Each kind is averaged
over its non-zero terms and the two averages are added (pytorch-metric-learning's
AvgNonZeroReducer, which MLRC tuned this loss with).
"""
from mxnet.gluon import HybridBlock

from ..distances import euclidean
from ..mining import label_masks


def mean_nonzero(F, terms):
    return F.sum(terms) / F.maximum(F.sum(terms > 0), 1)


class ContrastiveLoss(HybridBlock):
    def __init__(self, pos_margin=0.0, neg_margin=1.0, **kwargs):
        super().__init__(**kwargs)
        self.pos_margin, self.neg_margin = pos_margin, neg_margin

    def hybrid_forward(self, F, x, labels):
        dist = euclidean(F, x)
        _, positive, negative = label_masks(F, labels, dist)
        return (mean_nonzero(F, F.relu(dist - self.pos_margin) * positive)
                + mean_nonzero(F, F.relu(self.neg_margin - dist) * negative))
