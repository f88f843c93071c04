"""Prototypical-network loss (Snell, Swersky and Zemel 2017) over one episode.

An episode holds ``num_classes`` classes with ``num_support`` supports and
``num_query`` queries each, laid out as the episode sampler produces it:
[supports, class-major (num_support consecutive rows per class); queries,
class-major in the same class order]. The prototype of class k is the mean of
its supports, c_k = 1/Ns sum_s f_ks; query q of class y gets the logits
-|f_q - c_k|^2 over the episode's classes and
    L = 1/(Nc Nq) sum_q -log softmax(-|f_q - c.|^2)_y.
The query's class is found by matching its label against the supports'
labels, so any label values work. The squared distance is the expansion
|q|^2 + |c|^2 - 2 q.c, unclamped (a constant shift of a softmax row, harmless).
"""
from mxnet.gluon import HybridBlock

from .distances import squared_euclidean
from .parameters import at_least, check_parameters


class PrototypeLoss(HybridBlock):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar over one episode; see the module text.

    Parameters:
        num_classes (int): classes per episode.
        num_support (int): support images per class.
        num_query (int): query images per class.
    """
    parameter_checks = {'num_classes': at_least(2, integer=True),
                        'num_support': at_least(1, integer=True),
                        'num_query': at_least(1, integer=True)}

    def __init__(self, num_classes, num_support, num_query, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), num_classes=num_classes, num_support=num_support,
                         num_query=num_query)
        self.nc, self.ns, self.nq = int(num_classes), int(num_support), int(num_query)

    def hybrid_forward(self, F, x, labels):
        n_support = self.nc * self.ns
        supports = F.slice_axis(x, axis=0, begin=0, end=n_support)
        queries = F.slice_axis(x, axis=0, begin=n_support, end=None)
        protos = F.mean(supports.reshape((self.nc, self.ns, -1)), axis=1)
        class_labels = F.slice_axis(labels, axis=0, begin=0, end=n_support)
        class_labels = F.slice_axis(class_labels.reshape((self.nc, self.ns)), axis=1, begin=0,
                                    end=1).reshape((1, -1))
        query_labels = F.slice_axis(labels, axis=0, begin=n_support, end=None).reshape((-1, 1))
        dist = squared_euclidean(F, queries, protos, clamp=False)
        log_p = F.log_softmax(-dist, axis=1)
        target = F.where(F.broadcast_equal(F.broadcast_like(query_labels, log_p),
                                           F.broadcast_like(class_labels, log_p)),
                         F.ones_like(log_p), F.zeros_like(log_p))  # labels may be integers
        return F.mean(-F.sum(log_p * target, axis=1))
