"""LoOp's geometry (Vasudeva et al., ICCV 2021): the closest points of two arcs on the sphere.

Two pairs of unit vectors, (x1, x2) and (y1, y2), span the minor great-circle arcs
x(a) = cos a x1 + sin a n2, a in [0, a0], with n2 = (x2 - cx x1) / sx, cx = x1.x2,
sx = sqrt(1 - cx^2), a0 = atan2(sx, cx); likewise y(b) = cos b y1 + sin b m2, b in [0, b0].
The closest pair of points maximises g(a, b) = x(a).y(b) = c(a)^T M c(b), with
c(a) = (cos a, sin a) and M = [[x1.y1, x1.m2], [n2.y1, n2.m2]], since
|x - y|^2 = 2 - 2 x.y. Its KKT points fall into nine cases (the paper's Figure 2), by which
bounds are active:

    case  1: a = 0,  b free     5: a = 0,  b = 0      9: a and b free
          2: a = a0, b free     6: a = 0,  b = b0
          3: a free, b = 0      7: a = a0, b = 0
          4: a free, b = b0     8: a = a0, b = b0

With one angle fixed, the best point of the other arc is the direction of a 2-vector w:
b = atan2(w2, w1) when that lies inside the arc (cases 1-4, value |w|), otherwise an
end point. With both free, the maximum is the top singular pair of M (value sigma_1, the
derivation of LoOp's case 9; its two roots are the two signs of the pair, and the one
with b in [0, pi) is the candidate). The solution is the feasible candidate with the
largest g: the global optimum is a KKT point, and every candidate is a feasible point,
so no sign test on multipliers is needed. Everything is elementwise on six dot products
(cx, cy, x1.y1, x1.y2, x2.y1, x2.y2), so the same solver serves T tuples of vectors
(:func:`optimal_points`) and all pairs of pairs of a batch from its Gram matrix
(:func:`pair_arcs`), with no loop over tuples.

Degenerate arcs: an arc whose angle is below ``degenerate_angle`` (1e-3 rad, the official
code's filter), or within it of a half circle (where the minor arc is undefined at pi and
flips sides under a rounding error), is taken as its two end points: a point-to-arc
problem for each, the nearer counting. For x1 = x2 that is exactly the point-to-arc
distance; for a short arc of length L it overestimates by at most about L^2 / (2 d*).

Gradient: the solver runs on detached inputs and returns, per tuple, the fraction s of
the solution along each arc in the normalised-interpolation parametrisation,
p = normalize((1 - s) x1 + s x2) (Embedding Expansion's form of the same geodesic), with
s = 0 and s = 1 exactly where a bound is active. p and q are then rebuilt from the end
points with gradient. The box [0, 1] of s does not move with the embeddings, so by the
envelope theorem the gradient through the rebuilt points, with s held fixed, is the full
gradient of d* (at active bounds the rebuilt point is the end point itself). The rebuild
divides only by |(1 - s) x1 + s x2| >= cos(a0 / 2) > 0 for proper arcs, so no pass can
produce NaN or infinity: the solver never carries a gradient, and every division in it is
guarded.

Precision: the candidates are ranked by x.y = 1 - d^2 / 2, so float32 cannot tell apart
points whose d^2 differ by less than ~1e-7: when d* is below ~3e-4 (arcs crossing at a
shallow angle, nearly one great circle) the chosen points may be up to that far apart,
d <= sqrt(d*^2 + 1e-6) (tested). They are always points of the arcs, so d >= d*.
pair_arcs' dot-product rebuild has the same resolution near 0, as distances.py does.
"""
import math
from collections import namedtuple

import mxnet as mx

from .distances import identity_like, l2_normalize, row_index

DEGENERATE_ANGLE = 1e-3
TINY = 1e-30          # guards divisions whose result a degenerate case never selects
NOT_FEASIBLE = -1e30  # the value of a candidate that does not apply
SQRT_EPS = 1e-12      # distances: squared distances below this are 0 (distances.py's policy)
# normalize(u) = u / sqrt(|u|^2 + NORM_EPS) for the rebuilt points. |u|^2 >= sin^2(1e-3 / 2)
# = 2.5e-7 on proper arcs, so 1e-12 (l2_normalize's default) would shorten p by 2e-6 there;
# 1e-16 only guards zero rows and keeps pair_arcs' (|u| |v|)^2 a normal float32.
NORM_EPS = 1e-16

ArcSolution = namedtuple('ArcSolution', 's t case alpha beta alpha0 beta0')
ArcSolution.__doc__ = """Per tuple: the fractions s (first arc) and t (second arc) of the
closest points, p = normalize((1 - s) x1 + s x2), q = normalize((1 - t) y1 + t y2); the KKT
case (1-9, see the module text); the angles alpha, beta of the points from x1 and y1, and
the arcs' angles alpha0, beta0. All without gradient."""

PairArcs = namedtuple('PairArcs', 'dist first second labels valid negative')
PairArcs.__doc__ = """A batch's pairs (rows first[k], second[k] = 2k, 2k + 1) and their
arcs: dist (P x P) is d* between the arcs of pairs k and l; labels are the first rows'
labels; valid marks the pairs whose two rows share a label (P); negative (P x P) marks two
valid pairs of different labels. Masks are 0/1 in the dtype of the embeddings."""


def atan2(F, y, x):
    """The angle of (x, y) in (-pi, pi], elementwise (MXNet's legacy operators have no
    arctan2); 0 for (0, 0). Accurate everywhere: arctan of the smaller over the larger."""
    steep = F.abs(y) > F.abs(x)
    num, den = F.where(steep, x, y), F.where(steep, y, x)
    ratio = F.arctan(num / F.where(den == 0, F.ones_like(den), den))
    up = (y >= 0) * 2 - 1                            # the sign of y, +1 at y = 0
    flat = ratio + math.pi * up * (x < 0)
    return F.where(steep, up * (math.pi / 2) - ratio, flat)


def _inside(angle, upper):
    """0 < angle < upper, as 0/1."""
    return (angle > 0) * (angle < upper)


def _best_direction(F, w1, w2, upper, proper):
    """The angle in (0, upper) maximising w1 cos + w2 sin, the value there (|w|), and
    whether it is inside the arc (and the arc ``proper``)."""
    angle = atan2(F, w2, w1)
    return angle, F.sqrt(F.square(w1) + F.square(w2)), proper * _inside(angle, upper)


def _fraction(F, angle, upper):
    """s with normalize((1 - s) e1 + s e2) at ``angle`` from e1 along an arc of ``upper``:
    sin a / (sin(a0 - a) + sin a), clipped to [0, 1]."""
    rise = F.sin(angle)
    return F.clip(rise / F.maximum(F.sin(upper - angle) + rise, TINY), 0, 1)


def solve_arcs(F, cx, cy, g11, g12, g21, g22, degenerate_angle=DEGENERATE_ANGLE):
    """The closest points of the arcs (x1, x2) and (y1, y2), from cx = x1.x2, cy = y1.y2,
    gij = xi.yj (arrays of one shape, unit vectors assumed); an :class:`ArcSolution` of
    arrays of that shape, computed without gradient."""
    cx, cy, g11, g12, g21, g22 = [F.stop_gradient(v) for v in (cx, cy, g11, g12, g21, g22)]
    zero, one = F.zeros_like(g11), F.ones_like(g11)
    sx, sy = F.sqrt(F.relu(1 - F.square(cx))), F.sqrt(F.relu(1 - F.square(cy)))
    a0, b0 = atan2(F, sx, cx), atan2(F, sy, cy)
    x_arc = (a0 >= degenerate_angle) * (a0 <= math.pi - degenerate_angle)
    y_arc = (b0 >= degenerate_angle) * (b0 <= math.pi - degenerate_angle)
    isx, isy = 1 / F.maximum(sx, TINY), 1 / F.maximum(sy, TINY)
    # M in the frames (n1 = x1, n2; m1 = y1, m2), and x2.m2, n2.y2 for the far edges.
    m12 = (g12 - cy * g11) * isy
    m21 = (g21 - cx * g11) * isx
    m22 = (g22 - cy * g21 - cx * g12 + cx * cy * g11) * isx * isy
    b1, v1, ok1 = _best_direction(F, g11, m12, b0, y_arc)                      # a = 0
    b2, v2, ok2 = _best_direction(F, g21, (g22 - cy * g21) * isy, b0, y_arc)   # a = a0
    a3, v3, ok3 = _best_direction(F, g11, m21, a0, x_arc)                      # b = 0
    a4, v4, ok4 = _best_direction(F, g12, (g22 - cx * g12) * isx, a0, x_arc)   # b = b0
    # Both free: c(b) the top eigenvector of M^T M (the sign with b in [0, pi)), c(a) ~ M c(b).
    half = 0.5 * atan2(F, 2 * (g11 * m12 + m21 * m22),
                       F.square(g11) + F.square(m21) - F.square(m12) - F.square(m22))
    b9 = half + math.pi * (half < 0)
    w1 = g11 * F.cos(b9) + m12 * F.sin(b9)
    w2 = m21 * F.cos(b9) + m22 * F.sin(b9)
    a9, v9, ok9 = _best_direction(F, w1, w2, a0, x_arc * y_arc * _inside(b9, b0))
    values = [F.where(ok, v, one * NOT_FEASIBLE) for ok, v in
              ((ok1, v1), (ok2, v2), (ok3, v3), (ok4, v4))]
    values += [g11, g12, g21, g22, F.where(ok9, v9, one * NOT_FEASIBLE)]
    best = F.argmax(F.stack(*values, axis=-1), axis=-1)

    def choose(*candidates):
        return F.pick(F.stack(*candidates, axis=-1), best, axis=-1)
    s3, s4, s9 = (_fraction(F, a, a0) for a in (a3, a4, a9))
    t1, t2, t9 = (_fraction(F, b, b0) for b in (b1, b2, b9))
    return ArcSolution(s=choose(zero, one, s3, s4, zero, zero, one, one, s9),
                       t=choose(t1, t2, zero, one, zero, one, zero, one, t9),
                       case=best + 1,
                       alpha=choose(zero, a0, a3, a4, zero, zero, a0, a0, a9),
                       beta=choose(b1, b2, zero, b0, zero, b0, zero, b0, b9),
                       alpha0=a0, beta0=b0)


def _row_dot(F, a, b):
    return F.sum(a * b, axis=1)


def _frame_of(x):
    return mx.sym if isinstance(x, mx.sym.Symbol) else mx.nd


def tuple_solution(x1, x2, y1, y2, degenerate_angle=DEGENERATE_ANGLE):
    """:func:`solve_arcs` for T tuples given as four (T, d) arrays of unit rows."""
    F = _frame_of(x1)
    dots = [_row_dot(F, a, b) for a, b in ((x1, x2), (y1, y2), (x1, y1), (x1, y2), (x2, y1),
                                           (x2, y2))]
    return solve_arcs(F, *dots, degenerate_angle=degenerate_angle)


def point_on_arc(F, e1, e2, fraction):
    """normalize((1 - s) e1 + s e2) for rows e1, e2 (T, d) and fractions s (T,)."""
    s = fraction.reshape((-1, 1))
    return l2_normalize(F, F.broadcast_mul(1 - s, e1) + F.broadcast_mul(s, e2), NORM_EPS)


def guarded_sqrt(F, squared, eps=SQRT_EPS):
    """sqrt, with 0 (and gradient 0) below ``eps`` instead of 0/0."""
    return F.sqrt(F.maximum(squared, eps)) * (squared >= eps)


def optimal_points(x1, x2, y1, y2, degenerate_angle=DEGENERATE_ANGLE):
    """``(p, q, dist)`` for T tuples of unit rows x1, x2, y1, y2 (T, d), NDArrays or Symbols
    (inside a hybridized block), float32 or float64: p the closest point to the arc (y1, y2)
    on the minor arc from x1 to x2, q the closest on the other, dist = |p - q| (T,).

    Gradients reach the four inputs through p and q (the fractions are solved without
    gradient; see the module text)."""
    F = _frame_of(x1)
    solution = tuple_solution(x1, x2, y1, y2, degenerate_angle)
    p, q = point_on_arc(F, x1, x2, solution.s), point_on_arc(F, y1, y2, solution.t)
    return p, q, guarded_sqrt(F, F.sum(F.square(p - q), axis=1))


def pair_arcs(F, x, labels, degenerate_angle=DEGENERATE_ANGLE):
    """:class:`PairArcs` of a batch ``x`` (B, d) of unit rows whose rows 2k, 2k + 1 pair up
    (an odd last row pairs with itself): d* for all P x P pairs of pairs, from the Gram
    matrices of the pairs' rows. The points are rebuilt in dot-product form,
    |p - q|^2 = |u|^2 / (|u|^2 + e) + |v|^2 / (|v|^2 + e) - 2 u.v / sqrt((|u|^2 + e)(|v|^2 + e))
    for u = (1 - s) x1 + s x2, v = (1 - t) y1 + t y2 and e = NORM_EPS, which is
    :func:`point_on_arc`'s normalisation: O(P^2) memory, nothing of size P^2 x d.
    u is written h + (s - 1/2) delta with the midpoint h = (x1 + x2) / 2 and delta = x2 - x1,
    so that its products come from the Grams of h and delta: expanding in x1, x2 instead
    takes |u|^2 ~ (1 + x1.x2) / 2 as a difference of numbers near 1, which float32 gets
    wrong by 10% on arcs near a half circle (d* off by 0.04 at pi - 1e-3)."""
    rows = row_index(F, x)
    first = F.slice(rows, begin=(0,), end=(None,), step=(2,))
    second = F.take(rows, first + 1, mode='clip')
    x1, x2 = F.take(x, first), F.take(x, second)
    g11 = F.dot(x1, x1, transpose_b=True)
    g12 = F.dot(x1, x2, transpose_b=True)
    g22 = F.dot(x2, x2, transpose_b=True)
    g21 = F.transpose(g12)

    def as_rows(v):
        return F.broadcast_like(v.reshape((-1, 1)), g11)

    def as_columns(v):
        return F.broadcast_like(v.reshape((1, -1)), g11)
    cross = _row_dot(F, x1, x2)
    solution = solve_arcs(F, as_rows(cross), as_columns(cross), g11, g12, g21, g22,
                          degenerate_angle)
    s, t = solution.s, solution.t
    mid, delta = 0.5 * (x1 + x2), x2 - x1
    hh = F.dot(mid, mid, transpose_b=True)
    hd = F.dot(mid, delta, transpose_b=True)
    dd = F.dot(delta, delta, transpose_b=True)
    nh, nhd, nd = _row_dot(F, mid, mid), _row_dot(F, mid, delta), _row_dot(F, delta, delta)
    sig, tau = s - 0.5, t - 0.5
    uu = as_rows(nh) + 2 * sig * as_rows(nhd) + F.square(sig) * as_rows(nd) + NORM_EPS
    vv = as_columns(nh) + 2 * tau * as_columns(nhd) + F.square(tau) * as_columns(nd) + NORM_EPS
    uv = hh + tau * hd + sig * F.transpose(hd) + sig * tau * dd
    squared = (uu - NORM_EPS) / uu + (vv - NORM_EPS) / vv - 2 * uv / F.sqrt(uu * vv)
    # an arc against itself: exactly 0, not float32's sqrt(rounding) ~ 3e-4 (distances.py's
    # zero diagonal)
    squared = squared * (1 - identity_like(F, g11))
    pair_labels, partner_labels = F.take(labels, first), F.take(labels, second)
    ones, zeros = F.ones_like(cross), F.zeros_like(cross)
    valid = F.where(pair_labels == partner_labels, ones, zeros)
    other = F.broadcast_not_equal(pair_labels.reshape((-1, 1)), pair_labels.reshape((1, -1)))
    negative = F.where(other, F.ones_like(g11), F.zeros_like(g11))
    negative = negative * F.broadcast_mul(valid.reshape((-1, 1)), valid.reshape((1, -1)))
    return PairArcs(guarded_sqrt(F, squared), first, second, pair_labels, valid, negative)
