"""Prototypical networks loss (Snell et al. 2017).

The batch holds an episode of N = num_classes classes: the first
N * num_support rows of x are supports, the remaining N * num_query rows are
queries. Supports and queries are grouped by their label value (any integers,
row order within each part is not relied upon).

Prototype of class k, the mean of its supports S_k:
    c_k = (1 / |S_k|) * sum_{s in S_k} f_s.
Logits of query q over the distinct support classes k (squared Euclidean):
    z_qk = -||f_q - c_k||^2.
Per-query negative log-likelihood of its class y_q:
    l_q = -z_{q y_q} + log( sum_k exp(z_qk) )
    (log-sum-exp computed stably by subtracting the max).
Loss = (1 / |Q|) * sum_q l_q, the mean over the queries.
"""
import numpy as np

from .proxy import log_sum_exp, sq_dist


def prototypes(x, labels, num_supports):
    """{label: mean of the supports with that label} over the first num_supports rows."""
    groups = {}
    for s in range(num_supports):
        groups.setdefault(int(labels[s]), []).append(np.asarray(x[s], dtype=np.float64))
    protos = {}
    for k, rows in groups.items():
        total = np.zeros_like(rows[0])
        for r in rows:
            total = total + r
        protos[k] = total / len(rows)
    return protos


def prototype_loss(x, labels, num_classes, num_support, num_query):
    """Mean over the queries of -log softmax_k(-||f_q - c_k||^2)[y_q]."""
    x = np.asarray(x, dtype=np.float64)
    labels = [int(v) for v in np.asarray(labels).reshape(-1)]
    num_supports = num_classes * num_support
    assert len(x) == num_supports + num_classes * num_query
    protos = prototypes(x, labels, num_supports)
    assert len(protos) == num_classes, 'supports must cover num_classes distinct labels'
    classes = sorted(protos)
    total = 0.0
    count = 0
    for q in range(num_supports, len(x)):
        z = {k: -sq_dist(x[q], protos[k]) for k in classes}
        total += -z[labels[q]] + log_sum_exp([z[k] for k in classes])
        count += 1
    return total / count
