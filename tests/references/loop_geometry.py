"""The closest points of two minor great-circle arcs by brute force (LoOp, ICCV 2021).

Arc of (x1, x2): x(a) = cos a n1 + sin a n2, a in [0, a0], with n1 = x1,
n2 = normalize(x2 - (x1.x2) x1), a0 = atan2(|x2 - (x1.x2) x1|, x1.x2); an arc with
|x2 - (x1.x2) x1| < 1e-9 is the point x1, or undefined (ValueError) for antipodal ends.
d* = min over the box of |x(a) - y(b)|.

Search: a dense grid of both arcs (evenly spaced angles, i.e. slerp samples; distances
from the vectors), then the few best grid-local minima are refined by nested
golden-section searches (outer over a, inner over b) in a box of one grid step around
each, recentred and widened while the optimum is on its edge (the ridge of nearly parallel
arcs). Both the golden point and the bracket ends are compared, so a bracket holding a
maximum of the restricted distance still ends at the right side. The refinement works on
|x(a) - y(b)|^2 from the frame vectors' coordinates in their span (2 - 2 x.y would lose d
below 1e-8). No closed form of the code under test is used.
"""
import math

import numpy as np

GOLDEN = (math.sqrt(5) - 1) / 2


def normalize(v):
    return v / np.linalg.norm(v)


def arc_frame(e1, e2):
    """(n1, n2, a0) of the minor arc from e1 to e2 (unit vectors); n2 = 0 for a point."""
    e1, e2 = normalize(np.asarray(e1, np.float64)), normalize(np.asarray(e2, np.float64))
    c = float(np.dot(e1, e2))
    ortho = e2 - c * e1
    s = float(np.linalg.norm(ortho))
    if s < 1e-9:
        if c < 0:
            raise ValueError('antipodal end points: the minor arc is undefined')
        return e1, np.zeros_like(e1), 0.0
    return e1, ortho / s, math.atan2(s, c)


def arc_point(frame, a):
    n1, n2, _ = frame
    return math.cos(a) * n1 + math.sin(a) * n2


def _golden_max(fn, lo, hi, iterations):
    """(argument, value) of the largest of fn at a golden-section point and the two ends."""
    if hi - lo <= 0:
        return lo, fn(lo)
    c, d = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
    fc, fd = fn(c), fn(d)
    for _ in range(iterations):
        if fc >= fd:
            hi, d, fd = d, c, fc
            c = hi - GOLDEN * (hi - lo)
            fc = fn(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + GOLDEN * (hi - lo)
            fd = fn(d)
    best = [(fc, c), (fd, d), (fn(lo), lo), (fn(hi), hi)]
    value, arg = max(best)
    return arg, value


def _grid_angles(a0, n):
    return np.array([0.0]) if a0 == 0.0 else np.linspace(0.0, a0, n)


def arc_distance(x1, x2, y1, y2, grid=129, iterations=48, refine=4):
    """(d*, a*, b*) of the arcs (x1, x2) and (y1, y2), float64."""
    fx, fy = arc_frame(x1, x2), arc_frame(y1, y2)
    a_grid, b_grid = _grid_angles(fx[2], grid), _grid_angles(fy[2], grid)
    xs = np.stack([arc_point(fx, a) for a in a_grid])
    ys = np.stack([arc_point(fy, b) for b in b_grid])
    sims = xs @ ys.T
    # The four frame vectors in coordinates of their span (at most 4 numbers each), so
    # that the refinement's squared distance is cheap and keeps its precision near 0.
    coords = np.linalg.qr(np.stack([fx[0], fx[1], fy[0], fy[1]], axis=1))[1].T.tolist()
    (u1, u2, v1, v2) = coords

    def closeness(a, b):
        ca, sa, cb, sb = math.cos(a), math.sin(a), math.cos(b), math.sin(b)
        return -sum((ca * p1 + sa * p2 - cb * q1 - sb * q2) ** 2
                    for p1, p2, q1, q2 in zip(u1, u2, v1, v2))
    ha = a_grid[1] - a_grid[0] if len(a_grid) > 1 else 0.0
    hb = b_grid[1] - b_grid[0] if len(b_grid) > 1 else 0.0
    padded = np.pad(sims, 1, constant_values=-np.inf)
    neighbours = np.max([padded[1 + di:1 + di + sims.shape[0], 1 + dj:1 + dj + sims.shape[1]]
                         for di in (-1, 0, 1) for dj in (-1, 0, 1)], axis=0)
    peaks = np.argwhere(sims >= neighbours)
    # the few best grid peaks: ties (an overlap) give many, all equally good
    peaks = peaks[np.argsort(-sims[peaks[:, 0], peaks[:, 1]], kind='stable')[:refine]]
    best = (-np.inf, 0.0, 0.0)
    for i, j in peaks:
        a, b, wa, wb = a_grid[i], b_grid[j], ha, hb
        for _ in range(100):  # recentre and widen while the box's edge holds the optimum
            a_lo, a_hi = max(a - wa, 0.0), min(a + wa, fx[2])
            b_lo, b_hi = max(b - wb, 0.0), min(b + wb, fy[2])

            def inner(a):
                return _golden_max(lambda b: closeness(a, b), b_lo, b_hi, iterations)
            a, _ = _golden_max(lambda a: inner(a)[1], a_lo, a_hi, iterations)
            b, value = inner(a)
            edge = ((a in (a_lo, a_hi) and a not in (0.0, fx[2]))
                    or (b in (b_lo, b_hi) and b not in (0.0, fy[2])))
            if not edge:
                break
            wa, wb = 2 * wa, 2 * wb
        if value > best[0]:
            best = (value, a, b)
    _, a, b = best
    return float(np.linalg.norm(arc_point(fx, a) - arc_point(fy, b))), a, b


def arc_distances(x1, x2, y1, y2, **kwargs):
    """d* for T tuples, rows of four (T, d) arrays."""
    return np.array([arc_distance(*rows, **kwargs)[0] for rows in zip(x1, x2, y1, y2)])


def expansion_points(e1, e2, n_inner_pts):
    """Embedding Expansion's points of a pair: the ends and normalize((1 - k/(n+1)) e1 +
    k/(n+1) e2) for k = 1..n."""
    e1, e2 = np.asarray(e1, np.float64), np.asarray(e2, np.float64)
    points = [e1, e2]
    for k in range(1, n_inner_pts + 1):
        f = k / (n_inner_pts + 1)
        points.append(normalize((1 - f) * e1 + f * e2))
    return points


def expansion_distance(x1, x2, y1, y2, n_inner_pts):
    """The least distance between the expansion points of the two pairs."""
    xs = np.stack(expansion_points(x1, x2, n_inner_pts))
    ys = np.stack(expansion_points(y1, y2, n_inner_pts))
    return float(np.sqrt(((xs[:, None, :] - ys[None, :, :]) ** 2).sum(-1)).min())
