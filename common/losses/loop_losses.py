"""LoOp's losses (Vasudeva et al., "LoOp: Looking for Optimal Hard Negative Embeddings for
Deep Metric Learning", ICCV 2021), as in the official MXNet code (puneesh00/LoOp).

The batch pairs consecutive rows: pair k is rows (2k, 2k + 1) (the sampler lays out classes
in contiguous blocks of an even K, ``num_instances``; an odd last row pairs with itself, a
degenerate pair). Each pair whose two rows share a label spans the minor great-circle arc
between them (the rows are first projected onto the unit sphere, x / sqrt(|x|^2 + 1e-30):
a no-op for the unit rows of the head, which L2-normalises, and finite for rows of any
norm). The negative of a pair p is another pair q of another class, taken as its whole
arc: D*(p, q) is the distance between the closest points of the two arcs
(:func:`common.losses.loop.pair_arcs`, all P x P pairs of pairs at once).
d(i, j) is the Euclidean distance of rows i and j (0, gradient 0, below 1e-6).

* :class:`LoOpHPHNTripletLoss`: per pair p, d_ap(p) = max over i in {2p, 2p + 1} and j of
  i's class in the batch of d(i, j); d_an(p) = min over other-class pairs q of D*(p, q);
  loss_p = [d_ap(p) - d_an(p) + margin]_+.
* :class:`LoOpTripletLoss`: pair k of the first half of the pairs with pair k of the second
  half (P // 2 tuples; with an odd P the middle pair is unused);
  loss_k = [d(2k, 2k + 1) - D*(k, k') + margin]_+.
* :class:`LoOpLiftedLoss` (the working form, commit 97139fa): loss_p =
  [log sum over other-class q of exp(-D*(p, q)) + d_ap(p) + margin]_+, nothing squared.
* :class:`LoOpMultiSimilarityLoss`: similarities s(i, j) = 1 - d(i, j)^2 / 2 and
  S*(p, q) = 1 - D*(p, q)^2 / 2 (the largest cosine between the arcs). Pair p = (a, b):
  its positives are s(a, j) for j != a and s(b, j) for j not in {a, b}, j of the pair's
  class in the batch (s(a, b) once); its negatives S*(p, q) over the other-class pairs q.
  Mining keeps the negatives with S* > min(positives) - epsilon and the positives with
  s < max(negatives) + epsilon; loss_p = 1/alpha log(1 + sum_kept exp(-alpha (s - base)))
  + 1/beta log(1 + sum_kept exp(beta (S* - base))), and 0 when either kept set is empty
  (the official whole-pair skip).

Reduction: the sum of the terms, as the official code (its loss vectors are summed by
``backward`` and the optimizer step uses batch size 1): no mean over pairs or tuples.

Which pairs count (the same rules in all four): a pair is used, as an anchor and as a
negative arc, when its two rows share a label and, unless ``keep_degenerate``, its angle
exceeds 1e-3 rad (the official filter; the angle is 2 arcsin(|x1 - x2| / 2), which is
accurate for small angles in float32). Deviations from the official code, on purpose:

* the official filter is skipped when fewer than 2 pairs or 2 classes would survive, and
  the arc distance then silently becomes |x1 - y1|; here the filter always applies, and a
  pair without any negative arc (or a batch without any) contributes 0;
* no 1000 sentinel: every tuple has a finite D* (loop.py needs no acceptance test);
* ``keep_degenerate=True`` keeps short arcs as their end points instead (loop.py's
  point-to-arc distance, exact for duplicate images);
* a triplet tuple of two pairs of one class (the halves of a batch whose class count is
  odd) is skipped; the official code would use a positive arc as the negative;
* minima and maxima send the gradient to one entry (argmin + pick), never to every tied
  one (the official workaround was ad-hoc offsets);
* D* is differentiated through the closest points with their arc fractions held fixed
  (the envelope theorem: the same gradient as the official one, without NaN for pairs
  near the filter);
* d(i, j) is the project's Euclidean distance (exactly 0 for coincident rows), not EE's
  sqrt(clip(d^2, 1e-12, 1e12)) (1e-6 there): a difference of at most 1e-6 per term;
* the multi-similarity positives leave out the anchor itself by index: a duplicate image
  of the anchor (similarity 1) stays a positive (the spec's "excluding self values (1.0)"
  does not say whether the official code filters by index or by value);
* arcs within 1e-3 rad of a half circle are not filtered (the official code does not
  either); loop.py takes them as their end points, the minor arc being undefined there.

The hardest positive d_ap and the multi-similarity positives run over every row of the
pair's class in the batch, the rows of filtered pairs included (they are still images of
the class).

Cost: O(B^2) and O(P^2) matrices, P = B / 2, nothing of size P^2 x D or B^3.
"""
import math

from mxnet.gluon import HybridBlock

from .distances import Euclidean, l2_normalize, row_index, squared_euclidean
from .loop import DEGENERATE_ANGLE, guarded_sqrt, optimal_points, pair_arcs
from .masks import any_along, label_masks, masked_logsumexp, masked_max, masked_min
from .parameters import check_parameters, positive
from .reductions import Sum

SPHERE_EPS = 1e-30
# Two unit rows are a degenerate pair when |x1 - x2| <= 2 sin(1e-3 / 2).
DEGENERATE_CHORD = 2 * math.sin(DEGENERATE_ANGLE / 2)


def _proper(F, x1, x2):
    """1 where the pair's angle exceeds 1e-3 rad (chord test on unit rows), else 0."""
    return F.sum(F.square(x1 - x2), axis=1) > DEGENERATE_CHORD ** 2


def _outer(F, a, b):
    return F.broadcast_mul(a.reshape((-1, 1)), b.reshape((1, -1)))


class _LoOpLoss(HybridBlock):
    """The pairs of a batch and their arcs; a subclass states ``terms``."""
    reduction = Sum()

    def __init__(self, keep_degenerate=False, **kwargs):
        super().__init__(**kwargs)
        self.keep_degenerate = keep_degenerate

    def hybrid_forward(self, F, x, labels):
        # The arcs live on the sphere: rows are projected onto it (a no-op for the unit rows
        # of a normalising head), so that rows of any norm, tiny or huge, stay finite. The
        # epsilon (1e-30, representable in float32) keeps rows of norm 1e-8 on the sphere
        # and zero rows at zero, with a finite gradient.
        return self.formula(F, l2_normalize(F, x, SPHERE_EPS), labels)

    def formula(self, F, x, labels):
        raise NotImplementedError

    def _kept(self, F, x, first, second, valid):
        """The pairs used: valid (one label) and, unless keep_degenerate, proper arcs."""
        if self.keep_degenerate:
            return valid
        return valid * _proper(F, F.take(x, first), F.take(x, second))

    def _arcs(self, F, x, labels):
        """(PairArcs, kept pairs (P,), negative arcs (P x P) among the kept pairs)."""
        arcs = pair_arcs(F, x, labels)
        kept = self._kept(F, x, arcs.first, arcs.second, arcs.valid)
        return arcs, kept, arcs.negative * _outer(F, kept, kept)

    @staticmethod
    def _pair_rows(F, matrix, arcs):
        """Rows first[p] and second[p] of a B x B ``matrix`` side by side: P x 2B."""
        return F.concat(F.take(matrix, arcs.first), F.take(matrix, arcs.second), dim=1)

    def _hardest_positive(self, F, x, labels, arcs):
        """d_ap(p): the largest distance from either row of pair p to its class (P,)."""
        dist = Euclidean()(F, x)
        same = label_masks(F, labels, dist).same
        return masked_max(F, self._pair_rows(F, dist, arcs), self._pair_rows(F, same, arcs),
                          axis=1)


class _LoOpHingeLoss(_LoOpLoss):
    """A LoOp loss with a margin."""

    def __init__(self, margin=1e-5, keep_degenerate=False, **kwargs):
        super().__init__(keep_degenerate=keep_degenerate, **kwargs)
        self.margin = margin


class LoOpHPHNTripletLoss(_LoOpHingeLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar: LoOp's hardest-positive,
    hardest-negative triplet loss, one term per pair; see the module text.

    Parameters:
        margin (float): the triplet margin.
        keep_degenerate (bool): keep pairs shorter than 1e-3 rad as their end points
            instead of dropping them (the official filter).
    """

    def formula(self, F, x, labels):
        arcs, kept, negative = self._arcs(F, x, labels)
        d_ap = self._hardest_positive(F, x, labels, arcs)
        d_an = masked_min(F, arcs.dist, negative, axis=1)
        used = kept * any_along(F, negative, axis=1)
        return self.reduction(F, F.relu(d_ap - d_an + self.margin), used)


class LoOpLiftedLoss(_LoOpHingeLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar: LoOp's lifted structure loss,
    one term per pair; see the module text.

    Parameters:
        margin (float): the margin added inside the hinge.
        keep_degenerate (bool): keep pairs shorter than 1e-3 rad as their end points
            instead of dropping them (the official filter).
    """

    def formula(self, F, x, labels):
        arcs, kept, negative = self._arcs(F, x, labels)
        d_ap = self._hardest_positive(F, x, labels, arcs)
        spread = masked_logsumexp(F, -arcs.dist, negative, axis=1)
        used = kept * any_along(F, negative, axis=1)
        return self.reduction(F, F.relu(spread + d_ap + self.margin), used)


class LoOpTripletLoss(_LoOpHingeLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar: LoOp's triplet loss, pair k of
    the first half of the batch against pair k of the second half; see the module text.

    Parameters:
        margin (float): the triplet margin.
        keep_degenerate (bool): keep tuples with an arc shorter than 1e-3 rad (its end
            points) instead of dropping them (the official filter).
    """

    def formula(self, F, x, labels):
        rows = row_index(F, x)
        first = F.slice(rows, begin=(0,), end=(None,), step=(2,))
        second = F.take(rows, first + 1, mode='clip')       # an odd last row pairs itself
        pairs = row_index(F, first)
        count = F.sum(F.ones_like(first))
        offset = F.floor((count + 1) / 2)                   # ceil(P / 2): pair k + offset
        other = F.broadcast_add(pairs, offset)
        used = F.broadcast_lesser(other, count)
        other_first = F.take(first, other, mode='clip')
        other_second = F.take(second, other, mode='clip')
        x1, x2 = F.take(x, first), F.take(x, second)
        y1, y2 = F.take(x, other_first), F.take(x, other_second)
        l1, l2 = F.take(labels, first), F.take(labels, second)
        m1, m2 = F.take(labels, other_first), F.take(labels, other_second)
        ones, zeros = F.ones_like(pairs), F.zeros_like(pairs)
        valid = F.where((l1 == l2) * (m1 == m2) * (l1 != m1), ones, zeros)
        kept = self._kept(F, x, first, second, valid)
        kept = self._kept(F, x, other_first, other_second, kept)
        _, _, d_star = optimal_points(x1, x2, y1, y2)
        d_pos = guarded_sqrt(F, F.sum(F.square(x1 - x2), axis=1))
        return self.reduction(F, F.relu(d_pos - d_star + self.margin), kept * used)


class LoOpMultiSimilarityLoss(_LoOpLoss):
    """``loss(embeddings (B, D), labels (B,))`` -> scalar: LoOp's multi-similarity loss,
    one term per pair; see the module text.

    The official code requires K > 2 images per class. Here K = 2 is well defined (the
    pair's only positive is s(a, b)) and accepted; with K = 2 the positive side has no
    other image to mine.

    Parameters:
        alpha (float): the positive scale alpha.
        beta (float): the negative scale beta.
        base (float): the similarity offset lambda.
        epsilon (float): the pair-mining margin (negative: stricter mining).
        keep_degenerate (bool): keep pairs shorter than 1e-3 rad as their end points
            instead of dropping them (the official filter).
    """
    parameter_checks = {'alpha': positive(), 'beta': positive()}

    def __init__(self, alpha=2.0, beta=50.0, base=0.4, epsilon=-0.02, keep_degenerate=False,
                 **kwargs):
        super().__init__(keep_degenerate=keep_degenerate, **kwargs)
        check_parameters(type(self), alpha=alpha, beta=beta)
        self.alpha, self.beta, self.base, self.epsilon = alpha, beta, base, epsilon

    def formula(self, F, x, labels):
        arcs, kept, negative = self._arcs(F, x, labels)
        sim = 1 - squared_euclidean(F, x) / 2
        masks = label_masks(F, labels, sim)
        eye = masks.same - masks.positive
        sims = self._pair_rows(F, sim, arcs)                        # P x 2B: rows a, b
        # a's class without a; b's class without b and a (s(a, b) counted once).
        positive = F.concat(F.take(masks.positive, arcs.first),
                            F.take(masks.positive, arcs.second) * (1 - F.take(eye, arcs.first)),
                            dim=1)
        positive = F.broadcast_mul(positive, kept.reshape((-1, 1)))
        arc_sim = 1 - F.square(arcs.dist) / 2
        sim_pos = masked_min(F, sims, positive, axis=1, keepdims=True)
        sim_neg = masked_max(F, arc_sim, negative, axis=1, keepdims=True)
        keep_neg = negative * F.broadcast_greater(arc_sim, sim_pos - self.epsilon)
        keep_pos = positive * F.broadcast_lesser(sims, sim_neg + self.epsilon)
        used = kept * any_along(F, keep_pos, axis=1) * any_along(F, keep_neg, axis=1)
        pos_term = masked_logsumexp(F, -self.alpha * (sims - self.base), keep_pos,
                                    plus_one=True) / self.alpha
        neg_term = masked_logsumexp(F, self.beta * (arc_sim - self.base), keep_neg,
                                    plus_one=True) / self.beta
        return self.reduction(F, pos_term + neg_term, used)
