"""Neighbourhood components analysis loss over the batch (Goldberger et al. 2004).

D2_ij = ||x_i - x_j||^2 (x used as given). For anchor i, over candidates k != i:
  p_ik = exp(-scale * D2_ik) / sum_{m != i} exp(-scale * D2_im)   (stable)
  p_i  = sum_{j != i, same label} p_ij.
Anchors without a same-label partner are skipped.
L = mean over the non-skipped anchors of -log(p_i) (0 if all are skipped).
"""
import numpy as np

from .proxy import log_sum_exp, sq_dist


def nca_loss(x, labels, scale=1.0):
    """Mean over anchors with a same-label partner of -log(sum of their softmax weights on that class)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    total, count = 0.0, 0
    for i in range(n):
        same = [j for j in range(n) if j != i and labels[j] == labels[i]]
        if not same:
            continue
        logits_all = [-scale * sq_dist(x[i], x[m]) for m in range(n) if m != i]
        logits_same = [-scale * sq_dist(x[i], x[j]) for j in same]
        # -log p_i = log sum_{m != i} exp(.) - log sum_{j same} exp(.)
        total += log_sum_exp(logits_all) - log_sum_exp(logits_same)
        count += 1
    return total / count if count else 0.0
