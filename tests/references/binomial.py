"""Binomial deviance loss (Yi et al. 2014), in the form of the Deep_Metric code.

S_ij = <x_i, x_j> (x used as given). For each anchor i:
Pos_i = { j != i : same label }, Neg_i = { j : other label }.
If either is empty the anchor contributes 0. Otherwise
  l_i = mean_{p in Pos_i} log(1 + exp(-alpha (S_ip - beta)))
      + mean_{n in Neg_i} log(1 + exp(alpha * cost * (S_in - beta)))
(numerically stable softplus). L = (1/B) sum_i l_i, B the batch size.
"""
import math

import numpy as np


def softplus(z):
    """Stable log(1 + exp(z))."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def binomial_deviance_loss(x, labels, alpha=2.0, beta=0.5, cost=20.0):
    """Per-anchor mean positive and negative deviance, summed over anchors and divided by B."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    total = 0.0
    for i in range(n):
        pos = [j for j in range(n) if j != i and labels[j] == labels[i]]
        neg = [j for j in range(n) if labels[j] != labels[i]]
        if not pos or not neg:
            continue
        pos_term = sum(softplus(-alpha * (float(np.dot(x[i], x[p])) - beta)) for p in pos) / len(pos)
        neg_term = sum(softplus(alpha * cost * (float(np.dot(x[i], x[k])) - beta)) for k in neg) / len(neg)
        total += pos_term + neg_term
    return total / n if n else 0.0
