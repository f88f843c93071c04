"""Multi-similarity loss with its pair mining (Wang et al., CVPR 2019).

With S = x x^T (embeddings L2-normalised by the head), for each anchor i:

* mining: keep a negative n if S_in + epsilon > min_p S_ip, keep a positive
  p if S_ip - epsilon < max_n S_in;
* l_i = 1/alpha log(1 + sum_kept_p exp(-alpha (S_ip - base)))
  + 1/beta log(1 + sum_kept_n exp(beta (S_in - base)));
* anchors without a positive, a negative, or a kept pair of either kind
  contribute 0; the sum is divided by the batch size (as the official code).

Published hyperparameters: alpha 2, beta 50, base (lambda) 1, epsilon 0.1;
the official code: alpha 2, beta 40, base 0.5. A ``direction`` modifier
(:class:`DirectionRegularizer`) regularises the negatives' similarities
(S_in -> S_in - sign * gamma * R(i, h_i, n), with h_i the anchor's hardest positive,
never the anchor itself); mining uses the unregularised similarities.
"""
from .base import PairwiseLoss
from .direction import in_use
from .distances import Cosine
from .masks import any_along, masked_argmin, masked_logsumexp, masked_max, masked_min
from .reductions import MeanOverBatch

PUBLISHED = dict(alpha=2.0, beta=50.0, base=1.0, epsilon=0.1)
OFFICIAL_CODE = dict(alpha=2.0, beta=40.0, base=0.5, epsilon=0.1)


class MultiSimilarityLoss(PairwiseLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar; see the module text.

    Parameters:
        alpha (float): the positive scale alpha.
        beta (float): the negative scale beta.
        base (float): the similarity offset lambda.
        epsilon (float): the pair-mining margin.
    """
    distance, reduction = Cosine(normalize=False), MeanOverBatch()   # the official code

    def __init__(self, alpha=2.0, beta=50.0, base=1.0, epsilon=0.1, direction=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha, self.beta, self.base, self.epsilon = alpha, beta, base, epsilon
        self.direction = in_use(direction)

    def formula(self, F, x, labels, sim, masks):
        positive, negative = masks.positive, masks.negative
        min_pos = masked_min(F, sim, positive, axis=1, keepdims=True)
        max_neg = masked_max(F, sim, negative, axis=1, keepdims=True)
        keep_neg = negative * F.broadcast_greater(sim + self.epsilon, min_pos)
        keep_pos = positive * F.broadcast_lesser(sim - self.epsilon, max_neg)
        active = (any_along(F, keep_pos, axis=1) * any_along(F, keep_neg, axis=1))
        neg_sim = sim
        if self.direction is not None:
            neg_sim = self.direction.similarities(F, sim, *self._dots(F, x, sim, positive))
        pos_term = masked_logsumexp(F, -self.alpha * (sim - self.base), keep_pos,
                                    plus_one=True) / self.alpha
        neg_term = masked_logsumexp(F, self.beta * (neg_sim - self.base), keep_neg,
                                    plus_one=True) / self.beta
        return self.reduction(F, pos_term + neg_term, active)

    def _dots(self, F, x, sim, positive):
        """s_aa, s_pp, s_nn, s_ap, s_an, s_pn of (i, h_i, n) for every anchor i and
        candidate n, as B x B matrices."""
        hardest = masked_argmin(F, sim, positive, axis=1)
        norms = F.sum(F.square(x), axis=1)
        sim_h = F.take(sim, hardest)                       # row h_i of S: <x_h, x_n>
        s_ah = F.pick(sim, hardest, axis=1)                # <x_i, x_h>
        s_hh = F.take(norms, hardest)

        def full(t):
            return F.broadcast_like(t.reshape((-1, 1)), sim)
        return (full(norms), full(s_hh), F.broadcast_like(norms.reshape((1, -1)), sim),
                full(s_ah), sim, sim_h)
