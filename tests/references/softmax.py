"""Softmax cross-entropy on raw logits with label smoothing.

    p_ic = exp(x_ic) / sum_k exp(x_ik)
    q_ic = 1 - e if c == labels[i] else e / (C - 1)
    loss = (1/B) sum_i -sum_c q_ic log p_ic
"""
import math

import numpy as np


def softmax_cross_entropy(x, labels, num_classes, smoothing=0.0):
    x = np.asarray(x, dtype=np.float64)
    total = 0.0
    for i in range(x.shape[0]):
        top = max(x[i])
        log_norm = top + math.log(sum(math.exp(v - top) for v in x[i]))
        for c in range(num_classes):
            q = 1.0 - smoothing if c == labels[i] else smoothing / (num_classes - 1)
            total -= q * (x[i, c] - log_norm)
    return total / x.shape[0]
