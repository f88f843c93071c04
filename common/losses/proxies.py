"""Proxy-based losses: ProxyNCA, proxy cross-entropy and proxy-triplet.

One learnable proxy per training class, a parameter of the loss block
(``proxies``, C x D). Embeddings and proxies are L2-normalised inside the
loss, and d_ic = |s x_i - s p_c|^2 / T with multiplier s and temperature T.
With label smoothing e the target of sample i is q_ic = 1 - e for its class
and e / (C - 1) elsewhere. All three return the mean over the batch.

* ProxyNCA (Movshovitz-Attias et al. 2017, as in the playground; the positive
  proxy is not in the denominator, so the loss can be negative):
  l_i = sum_c q_ic d_ic + log sum_{c != y_i} exp(-d_ic).
  A ``direction`` modifier (:class:`DirectionRegularizer`, the alpoler form)
  regularises the other proxies' distances: d_iz -> d_iz + sign * gamma * R(x_i, p_{y_i}, p_z).
* Proxy cross-entropy: l_i = -sum_c q_ic log softmax_c(-d_i.).
* NormSoftmax is the proxy cross-entropy with s = 1 and T = 2 x its
  temperature; ``static_proxies`` fixes the proxies at one-hot vectors.
* Proxy-triplet: l_i = sum_{c != y_i} [|x_i - p_{y_i}|^2 - |x_i - p_c|^2 + margin]_+
  (unit-norm vectors, no multiplier, as in the playground).
"""
import mxnet as mx
from mxnet.gluon import HybridBlock

from .direction import in_use
from .distances import l2_normalize
from .masks import masked_logsumexp
from .parameters import ParameterError, check_parameters, positive
from .targets import TARGET_CHECKS, one_hot_like, smoothed_targets


class ProxyLoss(HybridBlock):
    """Holds the proxies and computes the quantities the three losses share.

    Parameters:
        scale (float): the scale s of embeddings and proxies (nca, xentropy).
        temperature (float): distances are divided by it (nca, xentropy).
        smoothing (float): label smoothing (nca, xentropy).
        static_proxies (bool): fixed one-hot proxies, not trained (the embedding needs as
            many dimensions as there are classes).
    """
    parameter_checks = dict(TARGET_CHECKS, temperature=positive())

    @staticmethod
    def check_together(values):
        if values.get('static_proxies') and \
                values.get('embed_dim', 0) < values.get('num_classes', 0):
            raise ParameterError('embed_dim', 'be at least the number of classes (%d): static '
                                 'proxies are one-hot vectors' % values['num_classes'],
                                 values['embed_dim'])

    def __init__(self, num_classes, embed_dim, scale=3.0, temperature=1.0, smoothing=0.0,
                 proxy_init=None, static_proxies=False, **kwargs):
        super().__init__(**kwargs)
        check_parameters(type(self), num_classes=num_classes, embed_dim=embed_dim,
                         temperature=temperature, smoothing=smoothing,
                         static_proxies=static_proxies)
        self.num_classes, self.scale = num_classes, scale
        self.temperature, self.smoothing = temperature, smoothing
        with self.name_scope():
            if static_proxies:  # fixed one-hot vertices, not trained
                self.proxies = self.params.get_constant(
                    'proxies', mx.nd.eye(num_classes, embed_dim))
            else:
                self.proxies = self.params.get('proxies', shape=(num_classes, embed_dim),
                                               init=proxy_init or mx.init.Normal(0.01))

    def prepare(self, F, x, labels, proxies):
        """Unit embeddings, unit proxies, their (B, C) distances and one-hot labels."""
        xn, pn = l2_normalize(F, x), l2_normalize(F, proxies)
        cos = F.dot(xn, pn, transpose_b=True)
        # |s x - s p|^2 = s^2 (2 - 2 cos) for unit vectors.
        dist = (2 * self.scale ** 2 / self.temperature) * (1 - cos)
        onehot = one_hot_like(F, labels, self.num_classes, dist)
        return xn, pn, cos, dist, onehot

    def targets(self, onehot):
        return smoothed_targets(onehot, self.smoothing, self.num_classes)


class ProxyNCALoss(ProxyLoss):
    def __init__(self, num_classes, embed_dim, direction=None, **kwargs):
        super().__init__(num_classes, embed_dim, **kwargs)
        self.direction = in_use(direction)

    def hybrid_forward(self, F, x, labels, proxies):
        xn, pn, cos, dist, onehot = self.prepare(F, x, labels, proxies)
        neg_dist = dist
        if self.direction is not None:
            neg_dist = self.direction.distances(F, dist, *self._dots(F, pn, cos, labels, onehot))
        # log sum over the other classes of exp(-d): the true class is masked out.
        lse = masked_logsumexp(F, -neg_dist, 1 - onehot)
        per_sample = F.sum(self.targets(onehot) * dist, axis=1) + lse
        return F.mean(per_sample)

    def _dots(self, F, pn, cos, labels, onehot):
        """s_aa, s_pp, s_nn, s_ap, s_an, s_pn of (x_i, p_{y_i}, p_z) for every sample i and
        class z, as (B, C) matrices (unit vectors: the squared norms are 1)."""
        proxy_gram = F.dot(pn, pn, transpose_b=True)
        s_pn = F.take(proxy_gram, labels)                   # <p_y, p_z>
        s_ap = F.broadcast_like(F.sum(cos * onehot, axis=1, keepdims=True), cos)  # <x, p_y>
        ones = F.ones_like(cos)
        return ones, ones, ones, s_ap, cos, s_pn


class ProxyXentropyLoss(ProxyLoss):
    def hybrid_forward(self, F, x, labels, proxies):
        _, _, _, dist, onehot = self.prepare(F, x, labels, proxies)
        return F.mean(-F.sum(self.targets(onehot) * F.log_softmax(-dist, axis=1), axis=1))


class NormalizedSoftmaxLoss(ProxyXentropyLoss):
    """NormSoftmax (Zhai and Wu 2019): softmax over cos(x_i, p_c) / temperature.

    The proxy cross-entropy at multiplier 1 and temperature 2 T: its logits
    -(2 / 2T)(1 - cos) differ from cos / T by a constant per row.

    Parameters:
        temperature (float): the softmax temperature on cosine similarities.
        smoothing (float): label smoothing.
    """

    def __init__(self, num_classes, embed_dim, temperature=0.05, smoothing=0.1, **kwargs):
        check_parameters(type(self), temperature=temperature)
        super().__init__(num_classes, embed_dim, scale=1.0, temperature=2.0 * temperature,
                         smoothing=smoothing, **kwargs)


class ProxyTripletLoss(ProxyLoss):
    """Proxy-triplet; see the module text.

    Parameters:
        margin (float): the triplet margin.
    """

    def __init__(self, num_classes, embed_dim, margin=1.0, **kwargs):
        kwargs.update(scale=1.0, temperature=1.0)
        super().__init__(num_classes, embed_dim, **kwargs)
        self.margin = margin

    def hybrid_forward(self, F, x, labels, proxies):
        _, _, _, dist, onehot = self.prepare(F, x, labels, proxies)  # |x - p|^2 at s = T = 1
        positive = F.sum(dist * onehot, axis=1, keepdims=True)
        terms = F.relu(F.broadcast_sub(positive, dist) + self.margin) * (1 - onehot)
        return F.mean(F.sum(terms, axis=1))
