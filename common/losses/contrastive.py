"""Contrastive loss with positive and negative margins (Hadsell et al. 2006, hinge form).

Over all pairs, with Euclidean distances D: positive pairs contribute
[D - pos_margin]_+, negative pairs [neg_margin - D]_+. Each kind is averaged
over its non-zero terms and the two averages are added (pytorch-metric-learning's
AvgNonZeroReducer, which MLRC tuned this loss with).
"""
from .base import PairwiseLoss
from .distances import Euclidean
from .reductions import MeanNonZero


class ContrastiveLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        pos_margin (float): positive pairs are pulled until this distance.
        neg_margin (float): negative pairs are pushed beyond this distance.
    """
    distance, reduction = Euclidean(), MeanNonZero()   # each kind of pair on its own

    def __init__(self, pos_margin=0.0, neg_margin=1.0, **kwargs):
        super().__init__(**kwargs)
        self.pos_margin, self.neg_margin = pos_margin, neg_margin

    def formula(self, F, x, labels, dist, masks):
        return (self.reduction(F, F.relu(dist - self.pos_margin), masks.positive)
                + self.reduction(F, F.relu(self.neg_margin - dist), masks.negative))
