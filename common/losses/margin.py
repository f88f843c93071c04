"""Margin loss with a learnable boundary beta (Wu et al., ICCV 2017).

For the triplets (a, p, n) chosen by a sampler (distance-weighted by
default), with d(u, v) = sqrt(|u - v|^2 + 1e-8) and b = beta[label of a]:

    l+ = [d(a, p) - b + margin]_+,   l- = [b - d(a, n) + margin]_+
    L = (sum (l+ + l-) + nu * sum b) / max(1, #{l+ > 0} + #{l- > 0})

beta is one learnable value per class. Every positive pair (a, p) of the batch forms
one triplet, whose negative the sampler draws for it.
"""
import mxnet as mx

from .base import PairwiseLoss
from .distance_weighted import DistanceWeightedSampler
from .distances import Euclidean, row_index
from .masks import any_along
from .reductions import MeanNonZero


class MarginLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    ``sampler(embeddings, labels)`` returns a (B, B) matrix whose entry
    (a, p) is the index of the negative drawn for the pair (a, p).
    ``learn_beta=False`` keeps beta fixed at ``beta``.

    Parameters:
        margin (float): the margin around beta.
        beta (float): the initial class boundary.
        nu (float): the regularisation weight of beta.
    """
    distance = Euclidean(eps=0, offset=1e-8, exact_zero=False)
    reduction = MeanNonZero()   # over the l+ and l- terms together

    def __init__(self, num_classes, margin=0.2, beta=1.2, nu=0.0, learn_beta=True, sampler=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.margin, self.nu = margin, nu
        with self.name_scope():
            self.beta = self.params.get('beta', shape=(num_classes,),
                                        init=mx.init.Constant(beta),
                                        grad_req='write' if learn_beta else 'null')
            self.sampler = sampler if sampler is not None else DistanceWeightedSampler()

    def formula(self, F, x, labels, dist, masks, beta):
        # Stop the gradient at the sampler's input: a stop on its output would still run its
        # backward pass, and sqrt'(0) * 0 = NaN for coincident points.
        negatives = self.sampler(F.stop_gradient(x), labels)
        # d(a, n) for the negative drawn for each pair: flat index a * B + n.
        size = F.sum(F.ones_like(row_index(F, x)))
        flat = F.broadcast_add(F.broadcast_mul(row_index(F, x).reshape((-1, 1)), size), negatives)
        d_an = F.take(dist.reshape((-1,)), flat)
        valid = F.broadcast_mul(masks.positive, any_along(F, masks.negative, axis=1,
                                                          keepdims=True))
        b = F.broadcast_like(F.take(beta, labels).reshape((-1, 1)), dist)
        return self.reduction(F, (F.relu(dist - b + self.margin), F.relu(b - d_an + self.margin)),
                              valid, extra=self.nu * F.sum(b * valid))
