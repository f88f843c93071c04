"""Softmax cross-entropy with the embedding itself as the logits (DREML's static proxies).

l_i = -sum_c q_ic log softmax(x_i)_c with target q (1 - e on the label,
e / (C - 1) elsewhere, label smoothing e); the loss is the batch mean.
"""
from mxnet.gluon import HybridBlock


class SoftmaxCrossEntropyLoss(HybridBlock):
    def __init__(self, num_classes, smoothing=0.0, **kwargs):
        super().__init__(**kwargs)
        if num_classes < 2:
            raise ValueError('softmax cross-entropy needs at least two classes')
        if not 0 <= smoothing < 1:
            raise ValueError('--label-smooth must be in [0, 1)')
        self.num_classes, self.smoothing = num_classes, smoothing

    def hybrid_forward(self, F, x, labels):
        log_p = F.log_softmax(x, axis=1)
        onehot = F.where(F.one_hot(labels, self.num_classes), F.ones_like(log_p),
                         F.zeros_like(log_p))
        off = self.smoothing / (self.num_classes - 1)
        target = onehot * (1 - self.smoothing - off) + off
        return F.mean(-F.sum(target * log_p, axis=1))
