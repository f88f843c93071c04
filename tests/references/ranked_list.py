"""Ranked list loss (Wang et al., CVPR 2019), DML playground form.

No normalisation inside; D_ij = ||x_i - x_j||.
    P_i = { j != i : labels[j] == labels[i], D_ij > alpha - margin }
    lpos_i = sum_{j in P_i} (D_ij - (alpha - margin)) / max(1, |P_i|)
    N_i = { j : labels[j] != labels[i], D_ij < alpha }   (decided by D of x)
    w_ij = exp(temperature * (alpha - E_ij)) for j in N_i, with E_ij the
           distance computed from weight_embeddings if given (held constant),
           else E_ij = D_ij
    wt_ij = w_ij / sum_{k in N_i} w_ik   (max exponent of the row subtracted)
    lneg_i = sum_{j in N_i} wt_ij * (alpha - D_ij)
    L = sum_i (lpos_i + lneg_i) / max(1, #{ i : lpos_i + lneg_i > 0 }).
"""
import math

import numpy as np


def dist(u, v):
    """Plain Euclidean distance between two vectors."""
    return math.sqrt(float(np.dot(u - v, u - v)))


def ranked_list_loss(x, labels, alpha=1.2, margin=0.4, temperature=10.0, weight_embeddings=None):
    """Ranked list loss; weights from weight_embeddings (constants) when given."""
    x = np.asarray(x, dtype=np.float64)
    e = x if weight_embeddings is None else np.asarray(weight_embeddings, dtype=np.float64)
    size = len(x)
    boundary = alpha - margin
    total, active = 0.0, 0
    for i in range(size):
        pos_terms = []
        neg_idx, neg_d, neg_exp = [], [], []
        for j in range(size):
            if j == i:
                continue
            d = dist(x[i], x[j])
            if labels[j] == labels[i]:
                if d > boundary:
                    pos_terms.append(d - boundary)
            elif d < alpha:
                neg_idx.append(j)
                neg_d.append(d)
                neg_exp.append(temperature * (alpha - dist(e[i], e[j])))
        lpos = sum(pos_terms) / max(1, len(pos_terms))
        lneg = 0.0
        if neg_idx:
            top = max(neg_exp)
            weights = [math.exp(v - top) for v in neg_exp]
            norm = sum(weights)
            lneg = sum(w / norm * (alpha - d) for w, d in zip(weights, neg_d))
        term = lpos + lneg
        total += term
        if term > 0:
            active += 1
    return total / max(1, active)
