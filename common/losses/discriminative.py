"""Discriminative loss: the upper bound on the triplet loss (Do et al., CVPR 2019).

The class centroids are fixed at the C one-hot vertices e_c and the network
outputs C-dimensional (L2-normalised) embeddings:
    L = g sum_i ( |f_i - e_{y_i}|^2 - 1/(3(C-1)) sum_{c != y_i} |f_i - e_c|^2 ).
The scale g = 3(C-1)(n/C - 1)(n/C) for batches of n counts the triplets per
anchor when each class has n/C samples. It is <= 0 when n <= C, which would flip
the objective, so ``g`` must be positive here.
"""
from mxnet.gluon import HybridBlock

from .parameters import at_least, check_parameters, positive
from .targets import one_hot_like


def discriminative_scale(batch_size, num_classes):
    """g = 3(C-1)(n/C - 1)(n/C); not positive when n <= C."""
    per_class = batch_size / num_classes
    return 3.0 * (num_classes - 1) * (per_class - 1) * per_class


class DiscriminativeLoss(HybridBlock):
    """``loss(embeddings (B, C), labels (B,))`` -> scalar; see the module text.

    Parameters:
        scale (float): the scale g of the loss.
    """
    parameter_checks = {'num_classes': at_least(2, integer=True), 'scale': positive()}

    def __init__(self, num_classes, scale, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), num_classes=num_classes, scale=scale)
        self.num_classes, self.scale = num_classes, float(scale)

    def hybrid_forward(self, F, x, labels):
        # |f - e_c|^2 = |f|^2 + 1 - 2 f_c, for every class c at once.
        sq = F.sum(F.square(x), axis=1, keepdims=True)
        dist = F.broadcast_add(sq + 1, -2 * x)
        onehot = one_hot_like(F, labels, self.num_classes, dist)
        positive = F.sum(dist * onehot, axis=1)
        negative = F.sum(dist * (1 - onehot), axis=1)
        per_sample = positive - negative / (3.0 * (self.num_classes - 1))
        return self.scale * F.sum(per_sample)
