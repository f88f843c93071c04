"""Stochastic symmetric triplet loss (Nguyen & De Baets, Neurocomputing 2020).

D2_ij = ||x_i - x_j||^2 (x used as given). For a triplet (i anchor, j target, k impostor):
  l_ijk = -log( exp(-D2_ij) / ( exp(-D2_ij) + exp(-(D2_ik + D2_jk) / 2) ) )
        = D2_ij + logsumexp(-D2_ij, -(D2_ik + D2_jk) / 2)   (stable form).

Triplets: for every i whose class has at least 2 members in the batch and which
has at least one other-class member: targets of i = its
min(n_targets, class size - 1) nearest same-class points by D2 (self excluded;
ties broken by the smaller index); impostors = all other-class points; all
(i, j, k) combinations, ordered by i, then j in order of nearness, then k ascending.

L = mean of l_ijk over the triplets; 0 if there are none.
"""
import math

import numpy as np


def sq_dist(u, v):
    """Squared Euclidean distance between two vectors."""
    diff = u - v
    return float(np.dot(diff, diff))


def logsumexp2(a, b):
    """Stable log(exp(a) + exp(b))."""
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def sst_triplets(x, labels, n_targets=5):
    """List of (anchor, target, impostor) index triplets, in the order described above."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    triplets = []
    for i in range(n):
        same = [j for j in range(n) if j != i and labels[j] == labels[i]]
        impostors = [k for k in range(n) if labels[k] != labels[i]]
        if not same or not impostors:
            continue
        ranked = sorted((sq_dist(x[i], x[j]), j) for j in same)
        targets = [j for _, j in ranked[:min(n_targets, len(same))]]
        for j in targets:
            for k in impostors:
                triplets.append((i, j, k))
    return triplets


def sst_loss(x, labels, n_targets=5, triplets=None):
    """Mean symmetric triplet term over the given (or freshly selected) triplets."""
    x = np.asarray(x, dtype=np.float64)
    if triplets is None:
        triplets = sst_triplets(x, labels, n_targets)
    if not triplets:
        return 0.0
    total = 0.0
    for i, j, k in triplets:
        d_ij = sq_dist(x[i], x[j])
        d_ik = sq_dist(x[i], x[k])
        d_jk = sq_dist(x[j], x[k])
        total += d_ij + logsumexp2(-d_ij, -(d_ik + d_jk) / 2)
    return total / len(triplets)
