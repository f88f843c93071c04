"""Proxy-based losses (ProxyNCA, proxy softmax cross-entropy, proxy triplet).

Embeddings and proxies are L2-normalised first:
    xh_i = x_i / ||x_i||,   ph_c = proxies_c / ||proxies_c||.
Label smoothing with epsilon e over C classes:
    q_ic = 1 - e if c == labels[i], else e / (C - 1).
Squared scaled distance:
    d_ic = ||scale * xh_i - scale * ph_c||^2 / temperature.

ProxyNCA (Movshovitz-Attias et al. 2017; positive proxy excluded from the
denominator, as in the DML playground):
    l_i = sum_c q_ic * d_ic + log( sum_{c != labels[i]} exp(-d_ic) )
    (log-sum-exp computed stably by subtracting the max).
Proxy cross-entropy (softmax over -d, positive proxy included):
    l_i = - sum_c q_ic * log( exp(-d_ic) / sum_k exp(-d_ik) ).
Proxy triplet:
    l_i = sum_{c != labels[i]} max(0, ||xh_i - ph_{labels[i]}||^2 - ||xh_i - ph_c||^2 + margin).
Each loss is the mean of l_i over the B samples.
"""
import math

import numpy as np


def normalise(v):
    """v / ||v||."""
    return v / math.sqrt(float(np.dot(v, v)))


def sq_dist(u, v):
    """Squared Euclidean distance between two vectors."""
    return float(np.dot(u - v, u - v))


def log_sum_exp(values):
    """log(sum(exp(values))), stabilised by subtracting the maximum."""
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def smoothing_target(label, c, num_classes, smoothing):
    """q_ic: 1 - e on the true class, e / (C - 1) elsewhere."""
    if c == label:
        return 1.0 - smoothing
    return smoothing / (num_classes - 1)


def scaled_distances(x, proxies, scale, temperature):
    """Rows of d_ic = ||scale*xh_i - scale*ph_c||^2 / temperature."""
    x = np.asarray(x, dtype=np.float64)
    proxies = np.asarray(proxies, dtype=np.float64)
    ph = [normalise(p) for p in proxies]
    rows = []
    for i in range(len(x)):
        xh = normalise(x[i])
        rows.append([sq_dist(scale * xh, scale * ph[c]) / temperature for c in range(len(ph))])
    return rows


def proxy_nca_loss(x, labels, proxies, scale=3.0, temperature=1.0, smoothing=0.0):
    """ProxyNCA with the positive proxy excluded from the denominator; mean over samples."""
    rows = scaled_distances(x, proxies, scale, temperature)
    num_classes = len(proxies)
    total = 0.0
    for i, d in enumerate(rows):
        y = labels[i]
        attract = sum(smoothing_target(y, c, num_classes, smoothing) * d[c] for c in range(num_classes))
        total += attract + log_sum_exp([-d[c] for c in range(num_classes) if c != y])
    return total / len(rows)


def proxy_xentropy_loss(x, labels, proxies, scale=3.0, temperature=1.0, smoothing=0.0):
    """Softmax cross-entropy over -d_ic, positive proxy included; mean over samples."""
    rows = scaled_distances(x, proxies, scale, temperature)
    num_classes = len(proxies)
    total = 0.0
    for i, d in enumerate(rows):
        y = labels[i]
        lse = log_sum_exp([-d[k] for k in range(num_classes)])
        for c in range(num_classes):
            total -= smoothing_target(y, c, num_classes, smoothing) * (-d[c] - lse)
    return total / len(rows)


def proxy_triplet_loss(x, labels, proxies, margin=1.0):
    """Hinge on normalised squared distances, true proxy vs every other proxy; mean over samples."""
    x = np.asarray(x, dtype=np.float64)
    proxies = np.asarray(proxies, dtype=np.float64)
    ph = [normalise(p) for p in proxies]
    total = 0.0
    for i in range(len(x)):
        xh = normalise(x[i])
        y = labels[i]
        d_pos = sq_dist(xh, ph[y])
        for c in range(len(ph)):
            if c != y:
                total += max(0.0, d_pos - sq_dist(xh, ph[c]) + margin)
    return total / len(x)
