"""LoOp's four losses (Vasudeva et al., ICCV 2021), in float64 with explicit loops, from the
spec (../shared/research/loop.md, sections 1.3 and 2), independent of common.losses.

Arc distance d*(x1, x2; y1, y2) between the minor great-circle arcs of two pairs of unit
vectors, by the spec's KKT enumeration (section 1.3): frames n1 = x1, n2 = normalise(x2 -
(x1.x2) x1), a0 = arccos(x1.x2) (likewise m1, m2, b0); A = -n2.m2, B = -n1.m2,
C = -n2.m1, D = -n1.m1; candidates

  1. a = 0,  tan b = B / D                          5-8. the four corners
  2. a = a0, tan b = (A sin a0 + B cos a0) / (C sin a0 + D cos a0)
  3. b = 0,  tan a = C / D                          9. t = tan a, t^2 - k t - 1 = 0,
  4. b = b0, tan a = (A sin b0 + C cos b0) / (B sin b0 + D cos b0)    k = (A^2 - B^2 +
                                                       C^2 - D^2) / (AB + CD), both roots,
                                                       tan b = (A sa + B ca) / (C sa + D ca)

each angle the member of its tan in [0, pi). d* is the smallest |x(a) - y(b)| over the
candidates inside the box [0, a0] x [0, b0] (the global minimum is a KKT point, hence one
of them; the multipliers' signs would only reject non-minimal ones). Bounds use the true
end points. An arc shorter than 1e-3 rad (or within 1e-3 of pi) is its two end points:
the point-to-arc distance of each, the nearer counting.

Losses (B rows, pair p = rows 2p, 2p + 1, an odd last row paired with itself; labels[2p] == labels[2p + 1] and, unless
keep_degenerate, arccos(x_2p . x_2p+1) > 1e-3 for a pair to be kept; dist(i, j) the
Euclidean distance, 0 below 1e-6; all reductions are sums):

* hphn: d_ap(p) = max over i in the pair, j of i's label, of dist(i, j);
  d_an(p) = min over kept q of another label of d*(p, q); sum of [d_ap - d_an + m]_+
  over kept pairs with a negative;
* lifted: [log sum_q exp(-d*(p, q)) + d_ap(p) + m]_+, same pairs;
* triplet: o = ceil(P / 2); for k < P - o, pair k with pair k + o, both kept, labels
  different: [dist(2k, 2k + 1) - d*(k, k + o) + m]_+;
* ms: s(i, j) = 1 - dist(i, j)^2 / 2, S*(p, q) = 1 - d*(p, q)^2 / 2; positives of (a, b):
  s(a, j), j != a, and s(b, j), j != a, b, over j of the pair's label; negatives S*(p, q)
  over kept q of another label; keep negatives with S* > min pos - eps and positives with
  s < max neg + eps; skip the pair if either is empty; else
  1/alpha log(1 + sum exp(-alpha (s - base))) + 1/beta log(1 + sum exp(beta (S* - base))).

``pair_distance`` replaces d* (e.g. :func:`endpoint_distance`, the smallest of the four
end-point distances, for the "endpoint-only negatives" comparison).
"""
import functools
import math

import numpy as np

DEGENERATE = 1e-3


def _dot(u, v):
    return float(np.dot(u, v))


def _norm(u):
    return math.sqrt(_dot(u, u))


def _angle(u, v):
    return math.acos(max(-1.0, min(1.0, _dot(u, v))))


def _tan_member(num, den):
    """The angle in [0, pi) whose tangent is num / den."""
    return math.atan2(num, den) % math.pi


def _frame(e1, e2):
    """(n2, angle) of the arc from e1 to e2."""
    c = _dot(e1, e2)
    n2 = e2 - c * e1
    return n2 / _norm(n2), _angle(e1, e2)


def _point(e1, n2, e2, angle, upper):
    """The point at ``angle`` along the arc, the exact end points at the bounds."""
    if angle == 0:
        return e1
    if angle == upper:
        return e2
    return math.cos(angle) * e1 + math.sin(angle) * n2


def _proper(e1, e2):
    a = _angle(e1, e2)
    return DEGENERATE <= a <= math.pi - DEGENERATE


def point_to_arc(z, y1, y2):
    """The distance of the point z to the minor arc (y1, y2)."""
    m2, b0 = _frame(y1, y2)
    best = min(_norm(z - y1), _norm(z - y2))
    b = _tan_member(_dot(z, m2), _dot(z, y1))
    if b <= b0:
        best = min(best, _norm(z - _point(y1, m2, y2, b, b0)))
    return best


def _arc_to_arc(x1, x2, y1, y2):
    n2, a0 = _frame(x1, x2)
    m2, b0 = _frame(y1, y2)
    A, B, C, D = -_dot(n2, m2), -_dot(x1, m2), -_dot(n2, y1), -_dot(x1, y1)
    sa0, ca0, sb0, cb0 = math.sin(a0), math.cos(a0), math.sin(b0), math.cos(b0)

    def beta_for(a):     # f_beta = 0 at fixed alpha
        return _tan_member(A * math.sin(a) + B * math.cos(a), C * math.sin(a) + D * math.cos(a))

    candidates = [
        (0.0, _tan_member(B, D)),                                        # 1
        (a0, _tan_member(A * sa0 + B * ca0, C * sa0 + D * ca0)),         # 2
        (_tan_member(C, D), 0.0),                                        # 3
        (_tan_member(A * sb0 + C * cb0, B * sb0 + D * cb0), b0),         # 4
        (0.0, 0.0), (0.0, b0), (a0, 0.0), (a0, b0),                      # 5-8
    ]
    den = A * B + C * D
    if den != 0:                                                         # 9
        kappa = (A * A - B * B + C * C - D * D) / den
        root = math.sqrt(kappa * kappa + 4)
        t_plus = (kappa + root) / 2 if kappa >= 0 else 2 / (root - kappa)
        t_minus = -1 / t_plus
        for a in (math.atan(t_plus), math.atan(t_minus) + math.pi):
            candidates.append((a, beta_for(a)))
    best = math.inf
    for a, b in candidates:
        if 0 <= a <= a0 and 0 <= b <= b0:
            p = _point(x1, n2, x2, a, a0)
            q = _point(y1, m2, y2, b, b0)
            best = min(best, _norm(p - q))
    return best


@functools.lru_cache(maxsize=200000)
def _cached_arc_distance(key):
    x1, x2, y1, y2 = (np.frombuffer(k, dtype=np.float64) for k in key)
    if _proper(x1, x2) and _proper(y1, y2):
        return _arc_to_arc(x1, x2, y1, y2)
    if _proper(y1, y2):
        return min(point_to_arc(x1, y1, y2), point_to_arc(x2, y1, y2))
    if _proper(x1, x2):
        return min(point_to_arc(y1, x1, x2), point_to_arc(y2, x1, x2))
    return endpoint_distance(x1, x2, y1, y2)


def arc_distance(x1, x2, y1, y2):
    """d* between the arcs (x1, x2) and (y1, y2) of unit vectors (see the module text)."""
    return _cached_arc_distance(tuple(np.ascontiguousarray(v, dtype=np.float64).tobytes()
                                      for v in (x1, x2, y1, y2)))


def endpoint_distance(x1, x2, y1, y2):
    """The smallest of the four end-point distances."""
    return min(_norm(a - b) for a in (x1, x2) for b in (y1, y2))


def euclidean(u, v):
    sq = float(np.sum((u - v) ** 2))
    return 0.0 if sq < 1e-12 else math.sqrt(sq)


def _pairs(x, labels, keep_degenerate):
    """[(first row, second row, label, kept)] of the batch."""
    pairs = []
    for p in range((len(x) + 1) // 2):
        a, b = 2 * p, min(2 * p + 1, len(x) - 1)     # an odd last row pairs with itself
        kept = labels[a] == labels[b] and (keep_degenerate or _angle(x[a], x[b]) > DEGENERATE)
        pairs.append((a, b, labels[a], kept))
    return pairs


def _hardest_positive(x, labels, a, b):
    return max(euclidean(x[i], x[j]) for i in (a, b) for j in range(len(x))
               if labels[j] == labels[i])


def _negatives(x, pairs, p, pair_distance):
    """d* from pair p to every kept pair of another label."""
    a, b, label, _ = pairs[p]
    return [pair_distance(x[a], x[b], x[c], x[d]) for c, d, other, kept in pairs
            if kept and other != label]


def _prepare(x, labels):
    return np.asarray(x, dtype=np.float64), [int(v) for v in labels]


def hphn_loss(x, labels, margin=1e-5, keep_degenerate=False, pair_distance=arc_distance):
    x, labels = _prepare(x, labels)
    pairs, total = _pairs(x, labels, keep_degenerate), 0.0
    for p, (a, b, _, kept) in enumerate(pairs):
        negatives = _negatives(x, pairs, p, pair_distance) if kept else []
        if negatives:
            total += max(0.0, _hardest_positive(x, labels, a, b) - min(negatives) + margin)
    return total


def lifted_loss(x, labels, margin=1e-5, keep_degenerate=False, pair_distance=arc_distance):
    x, labels = _prepare(x, labels)
    pairs, total = _pairs(x, labels, keep_degenerate), 0.0
    for p, (a, b, _, kept) in enumerate(pairs):
        negatives = _negatives(x, pairs, p, pair_distance) if kept else []
        if negatives:
            spread = math.log(sum(math.exp(-d) for d in negatives))
            total += max(0.0, spread + _hardest_positive(x, labels, a, b) + margin)
    return total


def triplet_loss(x, labels, margin=1e-5, keep_degenerate=False, pair_distance=arc_distance):
    x, labels = _prepare(x, labels)
    pairs, total = _pairs(x, labels, keep_degenerate), 0.0
    offset = (len(pairs) + 1) // 2
    for k in range(len(pairs) - offset):
        a, b, label, kept = pairs[k]
        c, d, other, other_kept = pairs[k + offset]
        if kept and other_kept and label != other:
            total += max(0.0, euclidean(x[a], x[b]) - pair_distance(x[a], x[b], x[c], x[d])
                         + margin)
    return total


def ms_loss(x, labels, alpha=2.0, beta=50.0, base=0.4, epsilon=-0.02, keep_degenerate=False,
            pair_distance=arc_distance):
    x, labels = _prepare(x, labels)
    pairs, total = _pairs(x, labels, keep_degenerate), 0.0

    def sim(i, j):
        return 1 - euclidean(x[i], x[j]) ** 2 / 2
    for p, (a, b, label, kept) in enumerate(pairs):
        if not kept:
            continue
        positives = [sim(a, j) for j in range(len(x)) if labels[j] == label and j != a]
        positives += [sim(b, j) for j in range(len(x)) if labels[j] == label and j not in (a, b)]
        negatives = [1 - d ** 2 / 2 for d in _negatives(x, pairs, p, pair_distance)]
        if not positives or not negatives:
            continue
        kept_neg = [s for s in negatives if s > min(positives) - epsilon]
        kept_pos = [s for s in positives if s < max(negatives) + epsilon]
        if not kept_neg or not kept_pos:
            continue
        total += math.log(1 + sum(math.exp(-alpha * (s - base)) for s in kept_pos)) / alpha
        total += math.log(1 + sum(math.exp(beta * (s - base)) for s in kept_neg)) / beta
    return total
