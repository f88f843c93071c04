"""Embedding Expansion (Ko & Gu, CVPR 2020) + hardest-positive/hardest-negative
triplet loss, as in the official code.

x (B, D): consecutive indices (0,1), (2,3), ... share a label (B even);
partner of i is i' = i XOR 1; n = n_inner_pts.
normalize(u) = u / sqrt(||u||^2 + 1e-10).
Expanded set of (n+1)B points: e_r = x_r for r < B; for k = 1..n, i = 0..B-1:
  e_{kB+i} = normalize( (k * x_{i'} + (n + 1 - k) * x_i) / (n + 1) ),
  label labels[i]. (Original points are NOT re-normalised.)
dist(u, v) = sqrt( min(max(||u - v||^2, 1e-12), 1e12) ).
dap_i = max over ORIGINAL j with labels[j] == labels[i] (j == i included) of
        dist(x_i, x_j).
m_r   = min over ALL expanded q with label(q) != label(r) of dist(e_r, e_q)
        (+inf if none).
dan_i = min over k = 0..n of m_{kB+i}.
Per anchor: max(0, dap_i - dan_i + margin), or log(1 + exp(dap_i - dan_i))
if soft_margin; anchors with dan_i = +inf contribute 0.
Loss = SUM over the B original anchors.
"""
import math

import numpy as np


def normalize(u):
    """u / sqrt(||u||^2 + 1e-10)."""
    return u / math.sqrt(float(np.dot(u, u)) + 1e-10)


def clipped_dist(u, v):
    """sqrt(min(max(||u - v||^2, 1e-12), 1e12))."""
    d = u - v
    sq = float(np.dot(d, d))
    return math.sqrt(min(max(sq, 1e-12), 1e12))


def softplus(z):
    """Stable log(1 + exp(z))."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def expand(x, labels, n_inner_pts):
    """Return the (n+1)B expanded points and their labels."""
    b = len(x)
    n = n_inner_pts
    points = [x[r].copy() for r in range(b)]
    point_labels = [labels[r] for r in range(b)]
    for k in range(1, n + 1):
        for i in range(b):
            j = i ^ 1
            points.append(normalize((k * x[j] + (n + 1 - k) * x[i]) / (n + 1)))
            point_labels.append(labels[i])
    return points, point_labels


def hphn_ee_loss(x, labels, n_inner_pts=2, margin=1e-5, soft_margin=False):
    """Sum over original anchors of the hardest-pos/hardest-neg triplet loss
    with negatives mined over the embedding-expanded set."""
    x = np.asarray(x, dtype=np.float64)
    labels = [int(v) for v in labels]
    b = len(x)
    if b % 2 != 0:
        raise ValueError("batch size must be even (consecutive pairs)")
    n = n_inner_pts
    points, point_labels = expand(x, labels, n)
    total_pts = len(points)

    m = []
    for r in range(total_pts):
        best = math.inf
        for q in range(total_pts):
            if point_labels[q] != point_labels[r]:
                best = min(best, clipped_dist(points[r], points[q]))
        m.append(best)

    total = 0.0
    for i in range(b):
        dap = max(clipped_dist(x[i], x[j]) for j in range(b) if labels[j] == labels[i])
        dan = min(m[k * b + i] for k in range(n + 1))
        if dan == math.inf:
            continue
        if soft_margin:
            total += softplus(dap - dan)
        else:
            total += max(0.0, dap - dan + margin)
    return total
