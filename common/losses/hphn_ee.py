"""Hardest-positive/hardest-negative triplet loss with Embedding Expansion.

Ko & Gu, "Embedding Expansion", CVPR 2020, as in their official MXNet code.
The batch pairs consecutive rows (0, 1), (2, 3), ... of one class (the P x K
sampler with even K). For each row i and its partner i' = i xor 1 the
expansion adds n inner points on the segment between them,

    e_{k,i} = normalize((k x_i' + (n + 1 - k) x_i) / (n + 1)),  k = 1..n,

labelled like i, with normalize(u) = u / sqrt(|u|^2 + 1e-10). Distances are
sqrt(clip(|u - v|^2, 1e-12, 1e12)). Per original anchor i:

* hardest positive: the largest distance to an original point of its class
  (itself included, 1e-6), synthetic points are not positives;
* hardest negative: the smallest distance between {x_i, e_{1,i} ... e_{n,i}}
  and any point of another class, original or synthetic;
* loss [d_ap - d_an + margin]_+ (or log(1 + exp(d_ap - d_an)) with
  ``soft_margin``), summed over the anchors, as the official code does.

``n_inner_pts=0`` is plain HPHN (batch-hard) triplet loss.
"""
from .base import PairwiseLoss
from .distances import Euclidean, l2_normalize, row_index
from .masks import masked_max, masked_min
from .parameters import at_least, check_parameters
from .reductions import Sum


class HPHNTripletLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        n_inner_pts (int): synthetic points per pair (0: plain HPHN triplet).
        margin (float): the triplet margin.
        soft_margin (bool): log(1 + exp(d_ap - d_an)) instead of the hinge.
    """
    parameter_checks = {'n_inner_pts': at_least(0, integer=True)}
    distance = Euclidean(ceiling=1e12, exact_zero=False)   # the official clip
    reduction = Sum()

    def __init__(self, n_inner_pts=2, margin=1e-5, soft_margin=False, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), n_inner_pts=n_inner_pts)
        self.n_inner_pts, self.margin, self.soft_margin = n_inner_pts, margin, soft_margin

    def formula(self, F, x, labels, originals, masks):
        n = self.n_inner_pts
        rows = row_index(F, x)
        partner = F.take(x, rows + 1 - 2 * F.broadcast_mod(rows, F.ones_like(rows) * 2))
        expanded = [x] + [l2_normalize(F, (k * partner + (n + 1 - k) * x) / (n + 1), 1e-10)
                          for k in range(1, n + 1)]
        everything = F.concat(*expanded, dim=0) if n else x
        all_labels = F.concat(*([labels] * (n + 1)), dim=0) if n else labels
        d_ap = masked_max(F, originals, masks.same, axis=1)
        other = F.broadcast_not_equal(labels.reshape((-1, 1)), all_labels.reshape((1, -1)))
        nearest = [masked_min(F, self.distance(F, rows_k, everything), other, axis=1)
                   for rows_k in expanded]
        d_an = nearest[0]
        for d in nearest[1:]:
            d_an = F.minimum(d_an, d)
        gap = d_ap - d_an
        if self.soft_margin:
            return self.reduction(F, F.Activation(gap, act_type='softrelu'))
        return self.reduction(F, F.relu(gap + self.margin))
