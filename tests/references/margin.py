"""Margin loss and distance-weighted sampling (Wu et al. 2017, "Sampling
Matters in Deep Embedding Learning").

Margin loss, for index triplets t = (a, p, n) with class boundary
b_t = beta[labels[a]] and d(u, v) = sqrt(||u - v||^2 + 1e-8):
    lpos_t = max(0, d(x_a, x_p) - b_t + margin)
    lneg_t = max(0, b_t - d(x_a, x_n) + margin)
    L = ( sum_t (lpos_t + lneg_t) + nu * sum_t b_t )
        / max(1, #{t: lpos_t > 0} + #{t: lneg_t > 0})
and L = 0 when there are no triplets.

Distance-weighted negative sampling, n = D (embedding dimension), for anchor
i and candidate j != i:
    D_ij  = ||x_i - x_j||,   Dc_ij = min(max(D_ij, cutoff), 2 - 1e-6)
    log w_ij = -( (n - 2) * log(Dc_ij) + ((n - 3) / 2) * log(1 - Dc_ij^2 / 4) )
    A_i = { j : labels[j] != labels[i] and D_ij < nonzero_loss_cutoff }
          (unclamped D_ij in the test)
    A_i non-empty:        P_ij = w_ij / sum_{k in A_i} w_ik for j in A_i, else 0
                          (max log-weight of the row subtracted before exp)
    else, any negative:   P_ij = 1 / #negatives for each negative j
    else:                 row of zeros.
    The diagonal is always 0.

Support of the sampler: every ordered pair (a, p), a != p, labels equal,
whose anchor a has at least one negative, in row-major order.
"""
import math

import numpy as np


def dist(u, v):
    """Plain Euclidean distance between two vectors."""
    return math.sqrt(float(np.dot(u - v, u - v)))


def smoothed_dist(u, v):
    """sqrt(||u - v||^2 + 1e-8), the margin loss distance."""
    return math.sqrt(float(np.dot(u - v, u - v)) + 1e-8)


def margin_loss(x, labels, triplets, beta, margin=0.2, nu=0.0):
    """Margin loss over the given (a, p, n) triplets with per-class boundaries beta."""
    x = np.asarray(x, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    triplets = list(triplets)
    if not triplets:
        return 0.0
    total, beta_sum, active = 0.0, 0.0, 0
    for a, p, n in triplets:
        b = float(beta[labels[a]])
        lpos = max(0.0, smoothed_dist(x[a], x[p]) - b + margin)
        lneg = max(0.0, b - smoothed_dist(x[a], x[n]) + margin)
        total += lpos + lneg
        beta_sum += b
        active += (lpos > 0) + (lneg > 0)
    return (total + nu * beta_sum) / max(1, active)


def distance_weighted_probabilities(x, labels, cutoff=0.5, nonzero_loss_cutoff=1.4):
    """(B, B) matrix of negative-sampling probabilities, one row per anchor."""
    x = np.asarray(x, dtype=np.float64)
    size, n = x.shape
    probs = np.zeros((size, size), dtype=np.float64)
    for i in range(size):
        negatives = [j for j in range(size) if labels[j] != labels[i]]
        allowed, log_w = [], []
        for j in negatives:
            d = dist(x[i], x[j])
            if d < nonzero_loss_cutoff:
                dc = min(max(d, cutoff), 2.0 - 1e-6)
                lw = -((n - 2) * math.log(dc) + ((n - 3) / 2.0) * math.log(1.0 - dc * dc / 4.0))
                allowed.append(j)
                log_w.append(lw)
        if allowed:
            top = max(log_w)
            weights = [math.exp(lw - top) for lw in log_w]
            norm = sum(weights)
            for j, w in zip(allowed, weights):
                probs[i, j] = w / norm
        elif negatives:
            for j in negatives:
                probs[i, j] = 1.0 / len(negatives)
    return probs


def distance_weighted_triplets_support(labels):
    """Ordered positive pairs (a, p), a != p, whose anchor has a negative; row-major."""
    size = len(labels)
    pairs = []
    for a in range(size):
        if not any(labels[k] != labels[a] for k in range(size)):
            continue
        for p in range(size):
            if p != a and labels[p] == labels[a]:
                pairs.append((a, p))
    return pairs
