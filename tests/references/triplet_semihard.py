"""Triplet loss with semi-hard mining (FaceNet; TensorFlow/playground selection rule).

For each ordered positive pair (a, p), a != p, whose anchor has at least one
negative: n* = the closest negative with D_an > D_ap, else the farthest
negative; term = max(0, margin + D_ap - D_an*), D squared Euclidean.
Loss = mean over the pairs counted (0 when there are none).
"""
import numpy as np


def sq_dist(u, v):
    return float(sum((a - b) ** 2 for a, b in zip(u, v)))


def triplet_semihard_loss(x, labels, margin=1.0):
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    total, count = 0.0, 0
    for a in range(n):
        negatives = [k for k in range(n) if labels[k] != labels[a]]
        if not negatives:
            continue
        for p in range(n):
            if p == a or labels[p] != labels[a]:
                continue
            d_ap = sq_dist(x[a], x[p])
            farther = [sq_dist(x[a], x[k]) for k in negatives if sq_dist(x[a], x[k]) > d_ap]
            d_an = min(farther) if farther else max(sq_dist(x[a], x[k]) for k in negatives)
            total += max(0.0, margin + d_ap - d_an)
            count += 1
    return total / max(count, 1)
