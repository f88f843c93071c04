"""Multi-similarity loss with its pair mining (Wang et al., CVPR 2019).

With S = x x^T (embeddings L2-normalised by the head), for each anchor i:

* mining: keep a negative n if S_in + epsilon > min_p S_ip, keep a positive
  p if S_ip - epsilon < max_n S_in;
* l_i = 1/alpha log(1 + sum_kept_p exp(-alpha (S_ip - base)))
  + 1/beta log(1 + sum_kept_n exp(beta (S_in - base)));
* anchors without a positive, a negative, or a kept pair of either kind
  contribute 0; the sum is divided by the batch size (as the official code).

Published hyperparameters: alpha 2, beta 50, base (lambda) 1, epsilon 0.1;
the official code: alpha 2, beta 40, base 0.5. ``gamma > 0`` adds Direction
Regularization to the negatives (S_in -> S_in - sign * gamma * R(i, h_i, n),
with h_i the anchor's hardest positive, never the anchor itself); mining
uses the unregularised similarities.
"""
from mxnet.gluon import HybridBlock

from ..mining import BIG, any_along, label_masks, masked_max, masked_min
from .direction import check_angle, dr_cosine

PUBLISHED = dict(alpha=2.0, beta=50.0, base=1.0, epsilon=0.1)
OFFICIAL_CODE = dict(alpha=2.0, beta=40.0, base=0.5, epsilon=0.1)


def log1p_sum_exp(F, z, mask, axis=1):
    """log(1 + sum over masked entries of exp(z)), stable: a log-sum-exp with an extra 0."""
    z = F.where(mask, z, F.ones_like(z) * -BIG)
    top = F.relu(F.max(z, axis=axis, keepdims=True))  # >= 0, the extra term's exponent
    total = F.sum(F.exp(F.broadcast_sub(z, top)), axis=axis) + F.exp(-top.reshape((-1,)))
    return F.log(total) + top.reshape((-1,))


class MultiSimilarityLoss(HybridBlock):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text."""

    def __init__(self, alpha=2.0, beta=50.0, base=1.0, epsilon=0.1, gamma=0.0, angle='phi',
                 sign=1.0, tau=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.alpha, self.beta, self.base, self.epsilon = alpha, beta, base, epsilon
        self.gamma, self.sign, self.tau = gamma, sign, tau
        self.angle = check_angle(angle)

    def hybrid_forward(self, F, x, labels):
        sim = F.dot(x, x, transpose_b=True)
        _, positive, negative = label_masks(F, labels, sim)
        min_pos = masked_min(F, sim, positive, axis=1, keepdims=True)
        max_neg = masked_max(F, sim, negative, axis=1, keepdims=True)
        keep_neg = negative * F.broadcast_greater(sim + self.epsilon, min_pos)
        keep_pos = positive * F.broadcast_lesser(sim - self.epsilon, max_neg)
        active = (any_along(F, keep_pos, axis=1) * any_along(F, keep_neg, axis=1))
        neg_sim = sim
        if self.gamma:
            neg_sim = sim - self.sign * self.gamma * self._direction(F, x, sim, positive)
        pos_term = log1p_sum_exp(F, -self.alpha * (sim - self.base), keep_pos) / self.alpha
        neg_term = log1p_sum_exp(F, self.beta * (neg_sim - self.base), keep_neg) / self.beta
        per_anchor = (pos_term + neg_term) * active
        return F.sum(per_anchor) / F.sum(F.ones_like(per_anchor))

    def _direction(self, F, x, sim, positive):
        """R(i, h_i, n) for every anchor i and candidate n: a B x B matrix."""
        hardest = F.argmin(F.where(positive, sim, F.ones_like(sim) * BIG), axis=1)
        norms = F.sum(F.square(x), axis=1)
        sim_h = F.take(sim, hardest)                       # row h_i of S: <x_h, x_n>
        s_ah = F.pick(sim, hardest, axis=1)                # <x_i, x_h>
        s_hh = F.take(norms, hardest)

        def full(t):
            return F.broadcast_like(t.reshape((-1, 1)), sim)
        return dr_cosine(F, full(norms), full(s_hh), F.broadcast_like(norms.reshape((1, -1)), sim),
                         full(s_ah), sim, sim_h, self.angle, self.tau)
