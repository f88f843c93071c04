"""Normalized softmax loss, NormSoftmax (Zhai & Wu 2019).

Embeddings and proxies are L2-normalised:
    xh_i = x_i / ||x_i||,   ph_c = p_c / ||p_c||.
Logits with temperature T:
    z_ic = <xh_i, ph_c> / T   (= cos(x_i, p_c) / T).
Label-smoothed target with epsilon e over C classes:
    q_ic = 1 - e if c == y_i, else e / (C - 1).
Per-sample cross-entropy:
    l_i = - sum_c q_ic * log softmax_c(z_i),
    log softmax_c(z_i) = z_ic - log sum_k exp(z_ik)  (stabilised by the max).
Loss = (1 / B) * sum_i l_i, the mean over the B samples.
"""
import numpy as np

from .proxy import log_sum_exp, normalise, smoothing_target


def normalized_softmax_loss(x, labels, proxies, temperature, smoothing):
    """Mean over samples of the smoothed cross-entropy of softmax(cos(x_i, p_c) / T)."""
    x = np.asarray(x, dtype=np.float64)
    proxies = np.asarray(proxies, dtype=np.float64)
    num_classes = len(proxies)
    ph = [normalise(p) for p in proxies]
    total = 0.0
    for i in range(len(x)):
        xh = normalise(x[i])
        y = int(labels[i])
        z = [float(np.dot(xh, ph[c])) / temperature for c in range(num_classes)]
        lse = log_sum_exp(z)
        for c in range(num_classes):
            total -= smoothing_target(y, c, num_classes, smoothing) * (z[c] - lse)
    return total / len(x)
