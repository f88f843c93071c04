"""Triplet loss with semi-hard negative mining, the playground's (TensorFlow's) rule.

Schroff et al. (FaceNet, CVPR 2015), in the form of TensorFlow's
``triplet_semihard_loss`` that the playground ports. With squared Euclidean
distances D over the batch, for every ordered positive pair (a, p), a != p:

* semi-hard negative: the closest n with y_n != y_a and D_an > D_ap;
* if there is none, the farthest negative of a;
* loss term: max(0, margin + D_ap - D_an).

Reduction: the sum of the terms divided by the number of positive pairs
counted (at least 1), i.e. the mean over positive pairs.

Difference from the playground: a pair whose anchor has no negative in the
batch (a batch of one class) is left out. The playground's masked maximum
then falls back to the smallest distance of the row, 0, and adds
``margin + D_ap`` for such pairs; a triplet without a negative is not
defined, so we count nothing for it.
"""
from mxnet.gluon import HybridBlock

from ..distances import squared_euclidean
from ..mining import any_along, label_masks, masked_max, masked_min


class TripletSemiHardLoss(HybridBlock):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Memory is O(B^3) (a B x B x B candidate mask), fine up to B of a few
    hundred.
    """

    def __init__(self, margin=1.0, **kwargs):
        super().__init__(**kwargs)
        self.margin = margin

    def hybrid_forward(self, F, embeddings, labels):
        dist = squared_euclidean(F, embeddings)
        _, positive, negative = label_masks(F, labels, dist)
        d_an = dist.expand_dims(1)    # (a, 1, n)
        d_ap = dist.expand_dims(2)    # (a, p, 1)
        # Negatives farther than the positive, for every (a, p): (a, p, n).
        farther = F.broadcast_mul(F.broadcast_greater(d_an, d_ap), negative.expand_dims(1))
        semi_hard = masked_min(F, F.broadcast_like(d_an, farther), farther, axis=2)
        hardest_fallback = masked_max(F, dist, negative, axis=1, keepdims=True)  # (a, 1)
        d_neg = F.where(any_along(F, farther, axis=2), semi_hard,
                        F.broadcast_like(hardest_fallback, dist))
        valid = F.broadcast_mul(positive, any_along(F, negative, axis=1, keepdims=True))
        terms = F.relu(self.margin + dist - d_neg) * valid
        return F.sum(terms) / F.maximum(F.sum(valid), 1)
