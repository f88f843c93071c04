"""Contrastive loss over all unordered pairs i < j.

D_ij = ||x_i - x_j|| (Euclidean, x used as given).
  positive pair (same label): term = max(0, D_ij - pos_margin);
  negative pair:              term = max(0, neg_margin - D_ij).
L = (mean of the NON-ZERO positive terms, 0 if none)
  + (mean of the NON-ZERO negative terms, 0 if none).
A term counts as non-zero when it is > 0.
"""
import math

import numpy as np


def dist(u, v):
    """Euclidean distance between two vectors."""
    diff = u - v
    return math.sqrt(float(np.dot(diff, diff)))


def contrastive_loss(x, labels, pos_margin=0.0, neg_margin=1.0):
    """Mean of the positive (> 0) positive-pair terms plus mean of the positive negative-pair terms."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    pos_terms, neg_terms = [], []
    for i in range(n):
        for j in range(i + 1, n):
            d = dist(x[i], x[j])
            if labels[i] == labels[j]:
                term = max(0.0, d - pos_margin)
                if term > 0:
                    pos_terms.append(term)
            else:
                term = max(0.0, neg_margin - d)
                if term > 0:
                    neg_terms.append(term)
    pos = sum(pos_terms) / len(pos_terms) if pos_terms else 0.0
    neg = sum(neg_terms) / len(neg_terms) if neg_terms else 0.0
    return pos + neg
