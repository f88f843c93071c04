"""Multi-class N-pair loss (Sohn, NIPS 2016) and the angular loss in its N-pair form.

Both take a batch laid out as [anchors; positives] (N + N rows, pair i made
of rows i and N + i, as the N-pair sampler builds it) and use unnormalised
embeddings with an L2 penalty, as in the playground:

    reg = l2_reg * (mean_i |a_i|^2 + mean_i |p_i|^2)
    xe(S) = mean_i sum_j -T_ij log softmax_j(S_i.),  T_ij = [y_i = y_j] / #{k: y_k = y_i}

* N-pair: S_ij = <a_i, p_j>; L = reg + xe(S).
* Angular (Wang et al., ICCV 2017), t = tan^2(alpha):
  S_ij = 2 (1 + t) <a_i, p_j> for same-label pairs, 4 t <a_i + p_i, p_j> otherwise;
  L = reg + xe(S), i.e. log(1 + sum_n exp(4t (a + p)^T n - 2(1 + t) a^T p)).

``symmetric=True`` averages xe over both roles (anchors vs positives and
back). The targets T are normalised, so a repeated class in a batch splits
its probability mass.
"""
import math

from mxnet.gluon import HybridBlock

from .parameters import check_parameters, strictly_between


def soft_cross_entropy(F, logits, targets):
    return F.mean(-F.sum(targets * F.log_softmax(logits, axis=1), axis=1))


class PairLoss(HybridBlock):
    """Splits the [anchors; positives] batch and applies ``logits`` in one or both roles.

    Parameters:
        l2_reg (float): the L2 penalty on the (unnormalised) embeddings.
        symmetric (bool): average the loss over both roles of anchors and positives.
    """

    def __init__(self, l2_reg=5e-4, symmetric=False, **kwargs):
        super().__init__(**kwargs)
        self.l2_reg, self.symmetric = l2_reg, symmetric

    def logits(self, F, anchors, positives, same):
        raise NotImplementedError

    def hybrid_forward(self, F, x, labels):
        anchors, positives = F.split(x, num_outputs=2, axis=0)
        pair_labels = F.split(labels, num_outputs=2, axis=0)[0]
        eq = F.broadcast_equal(pair_labels.reshape((-1, 1)), pair_labels.reshape((1, -1)))
        gram = F.dot(anchors, positives, transpose_b=True)
        same = F.where(eq, F.ones_like(gram), F.zeros_like(gram))
        targets = F.broadcast_div(same, F.sum(same, axis=1, keepdims=True))
        xe = soft_cross_entropy(F, self.logits(F, anchors, positives, same), targets)
        if self.symmetric:
            xe = 0.5 * (xe + soft_cross_entropy(F, self.logits(F, positives, anchors, same),
                                                 targets))
        reg = F.mean(F.sum(F.square(anchors), axis=1)) + F.mean(F.sum(F.square(positives), axis=1))
        return xe + self.l2_reg * reg


class NPairLoss(PairLoss):
    def logits(self, F, anchors, positives, same):
        return F.dot(anchors, positives, transpose_b=True)


class AngularLoss(PairLoss):
    """The angular loss in its N-pair form; see the module text.

    Parameters:
        alpha (float): the angle bound in degrees.
    """
    parameter_checks = {'alpha': strictly_between(0, 90)}

    def __init__(self, alpha=45.0, l2_reg=5e-4, symmetric=False, **kwargs):
        super().__init__(l2_reg, symmetric, **kwargs)
        check_parameters(type(self), alpha=alpha)
        self.tan2 = math.tan(math.radians(alpha)) ** 2

    def logits(self, F, anchors, positives, same):
        t = self.tan2
        positive = 2 * (1 + t) * F.dot(anchors, positives, transpose_b=True)
        negative = 4 * t * F.dot(anchors + positives, positives, transpose_b=True)
        return same * positive + (1 - same) * negative


class WeightedSum(HybridBlock):
    """sum_k w_k * loss_k(x, labels), e.g. N-pair + lambda * angular."""

    def __init__(self, weighted_losses, **kwargs):
        super().__init__(**kwargs)
        self.weights = [w for w, _ in weighted_losses]
        for i, (_, loss) in enumerate(weighted_losses):
            self.register_child(loss, 'loss%d' % i)
        self.parts = [loss for _, loss in weighted_losses]

    def hybrid_forward(self, F, x, labels):
        return sum(w * loss(x, labels) for w, loss in zip(self.weights, self.parts))
