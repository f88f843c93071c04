"""Softmax cross-entropy with the embedding itself as the logits (DREML's static proxies).

l_i = -sum_c q_ic log softmax(x_i)_c with target q (1 - e on the label,
e / (C - 1) elsewhere, label smoothing e); the loss is the batch mean.
"""
from mxnet.gluon import HybridBlock

from .parameters import check_parameters
from .targets import TARGET_CHECKS, one_hot_like, smoothed_targets


class SoftmaxCrossEntropyLoss(HybridBlock):
    """``loss(logits (B, C), labels (B,))`` -> scalar; see the module text.

    Parameters:
        smoothing (float): label smoothing.
    """
    parameter_checks = TARGET_CHECKS

    def __init__(self, num_classes, smoothing=0.0, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), num_classes=num_classes, smoothing=smoothing)
        self.num_classes, self.smoothing = num_classes, smoothing

    def hybrid_forward(self, F, x, labels):
        log_p = F.log_softmax(x, axis=1)
        target = smoothed_targets(one_hot_like(F, labels, self.num_classes, log_p),
                                  self.smoothing, self.num_classes)
        return F.mean(-F.sum(target * log_p, axis=1))
