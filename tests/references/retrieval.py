"""Brute-force retrieval metrics over the full float64 distance matrix.

Ranking: squared Euclidean distance, ties broken by gallery index; with no
separate gallery, each query is removed from its own ranking by index.
Recall@K: query counts if a same-label item is among its first K.
MAP@R: R = number of same-label gallery items (self excluded),
AP@R = (1/R) * sum_{i<=R} [item i relevant] * precision@i; queries with R=0 skipped.
NMI: I(Y;C) / sqrt(H(Y) H(C)) from the contingency counts.
"""
import math

import numpy as np


def rankings(queries, gallery=None):
    queries = np.asarray(queries, dtype=np.float64)
    same_set = gallery is None
    gallery = queries if same_set else np.asarray(gallery, dtype=np.float64)
    ranked = []
    for q in range(len(queries)):
        dist = [float(np.sum((gallery[g] - queries[q]) ** 2)) for g in range(len(gallery))]
        order = sorted((d, g) for g, d in enumerate(dist) if not (same_set and g == q))
        ranked.append([g for _, g in order])
    return ranked


def recall_at_k(ranked, q_labels, g_labels, k):
    hits = 0
    for q, order in enumerate(ranked):
        if any(g_labels[g] == q_labels[q] for g in order[:k]):
            hits += 1
    return 100.0 * hits / len(ranked)


def map_at_r(ranked, q_labels, g_labels):
    scores = []
    for q, order in enumerate(ranked):
        r = sum(1 for g in order if g_labels[g] == q_labels[q])
        if r == 0:
            continue
        found, total = 0, 0.0
        for i, g in enumerate(order[:r], 1):
            if g_labels[g] == q_labels[q]:
                found += 1
                total += found / i
        scores.append(total / r)
    return 100.0 * sum(scores) / len(scores)


def nmi_geometric(labels, clusters):
    n = len(labels)
    joint = {}
    for y, c in zip(labels, clusters):
        joint[y, c] = joint.get((y, c), 0) + 1
    py, pc = {}, {}
    for (y, c), m in joint.items():
        py[y] = py.get(y, 0) + m
        pc[c] = pc.get(c, 0) + m
    mi = sum(m / n * math.log(m * n / (py[y] * pc[c])) for (y, c), m in joint.items())
    hy = -sum(m / n * math.log(m / n) for m in py.values())
    hc = -sum(m / n * math.log(m / n) for m in pc.values())
    if hy == 0 or hc == 0:
        return 100.0 if hy == hc else 0.0
    return 100.0 * mi / math.sqrt(hy * hc)
