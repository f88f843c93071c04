"""Lifted structured loss (Song et al., CVPR 2016, "Lifted structured feature embedding").

D_ij = ||x_i - x_j|| (Euclidean, x used as given). Negatives of i:
N_i = { k : labels[k] != labels[i] }. Positive pairs: same label, i != j.

lifted_smooth_paper (the paper's smooth loss, Eq. 4), over the set P of
UNORDERED positive pairs {i, j}:
    J_ij = log( sum_{k in N_i} exp(margin - D_ik) + sum_{l in N_j} exp(margin - D_jl) ) + D_ij
    (stable log-sum-exp; if both sums are empty, J_ij = -infinity, i.e. the pair contributes 0)
    L = 1 / (2 |P|) * sum_{{i,j} in P} max(0, J_ij)^2 ;  L = 0 if P is empty.

lifted_playground (DML playground / TensorFlow lifted_struct_loss bookkeeping),
over ORDERED pairs (i, j), i != j, same label, with the same J_ij:
    L = 0.25 * sum_{ordered (i,j)} max(0, J_ij)^2 / max(1, (number of ordered positive pairs) / 2).

lifted_hard_paper (the paper's non-smooth structured loss, Eq. 3), unordered pairs:
    J_ij = max( max_{k in N_i} (margin - D_ik), max_{l in N_j} (margin - D_jl) ) + D_ij
    (pairs whose two negative sets are both empty contribute 0);
    L = 1/(2|P|) sum max(0, J_ij)^2  (0 if P is empty).

deep_metric_lifted (the "modified" lifted loss of the Deep_Metric code,
bnu-wangxun/Deep_Metric losses/LiftedStructure.py), per anchor i, on the cosine
similarities S_ij = <x_i, x_j> / (|x_i| |x_j|) (x normalised here):
    positives P_i = { p != i : labels[p] == labels[i] }, negatives N_i as above;
    l_i = 2/beta * log sum_{p in P_i} exp(-beta S_ip) + 2/alpha * log sum_{n in N_i} exp(alpha S_in)
    L = sum over anchors with P_i and N_i both non-empty of l_i, divided by the batch size n
    (other anchors contribute 0 but count in n).

generalized_lifted (Hermans, Beyer, Leibe 2017, "In defense of the triplet loss", the
generalised lifted embedding), per anchor i, on Euclidean D (x used as given):
    l_i = max(0, log sum_{p in P_i} exp(D_ip) + log sum_{n in N_i} exp(neg_margin - D_in))
    L = mean of l_i over the anchors with P_i and N_i both non-empty (0 if there are none).
"""
import math

import numpy as np


def dist(u, v):
    """Euclidean distance between two vectors."""
    diff = u - v
    return math.sqrt(float(np.dot(diff, diff)))


def distance_table(x):
    """All D_ij, filled pair by pair."""
    n = len(x)
    d = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            d[i][j] = d[j][i] = dist(x[i], x[j])
    return d


def logsumexp(values):
    """Stable log(sum(exp(v))); -inf for an empty list."""
    if not values:
        return -math.inf
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


def negative_terms(d, labels, i, j, margin):
    """margin - D over the negatives of i and of j."""
    n = len(labels)
    terms = [margin - d[i][k] for k in range(n) if labels[k] != labels[i]]
    terms += [margin - d[j][l] for l in range(n) if labels[l] != labels[j]]
    return terms


def smooth_j(d, labels, i, j, margin):
    """J_ij of Eq. 4: log-sum-exp over N_i and N_j of margin - D, plus D_ij."""
    return logsumexp(negative_terms(d, labels, i, j, margin)) + d[i][j]


def hard_j(d, labels, i, j, margin):
    """J_ij of Eq. 3: the largest margin - D over N_i and N_j, plus D_ij (-inf without any)."""
    terms = negative_terms(d, labels, i, j, margin)
    return max(terms) + d[i][j] if terms else -math.inf


def paper_loss(x, labels, margin, j_fn):
    """1/(2|P|) * sum over unordered positive pairs {i, j} of max(0, J_ij)^2 (0 if P is empty)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    d = distance_table(x)
    total, pairs = 0.0, 0
    for i in range(n):
        for j in range(i + 1, n):
            if labels[i] != labels[j]:
                continue
            pairs += 1
            total += max(0.0, j_fn(d, labels, i, j, margin)) ** 2
    if pairs == 0:
        return 0.0
    return total / (2 * pairs)


def lifted_smooth_paper(x, labels, margin=1.0):
    """Paper's smooth lifted loss (Eq. 4) over unordered positive pairs."""
    return paper_loss(x, labels, margin, smooth_j)


def lifted_playground(x, labels, margin=1.0):
    """Playground/TF bookkeeping: 0.25 * sum over ordered positive pairs / max(1, n_ordered / 2)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    d = distance_table(x)
    total, ordered = 0.0, 0
    for i in range(n):
        for j in range(n):
            if i == j or labels[i] != labels[j]:
                continue
            ordered += 1
            total += max(0.0, smooth_j(d, labels, i, j, margin)) ** 2
    return 0.25 * total / max(1.0, ordered / 2)


def lifted_hard_paper(x, labels, margin=1.0):
    """Paper's non-smooth lifted loss (Eq. 3, hardest negative of i or j), unordered pairs."""
    return paper_loss(x, labels, margin, hard_j)


def cosine(u, v):
    """<u, v> / (|u| |v|), with zero vectors giving 0."""
    nu, nv = math.sqrt(float(np.dot(u, u))), math.sqrt(float(np.dot(v, v)))
    if nu == 0.0 or nv == 0.0:
        return 0.0
    return float(np.dot(u, v)) / (nu * nv)


def anchor_sets(labels, i):
    """(positives of i, not i itself; negatives of i) as index lists."""
    n = len(labels)
    pos = [p for p in range(n) if p != i and labels[p] == labels[i]]
    neg = [k for k in range(n) if labels[k] != labels[i]]
    return pos, neg


def deep_metric_lifted(x, labels, alpha=40.0, beta=2.0):
    """Deep_Metric's modified lifted loss: sum over anchors with both sets / batch size."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    total = 0.0
    for i in range(n):
        pos, neg = anchor_sets(labels, i)
        if not pos or not neg:
            continue
        pos_term = logsumexp([-beta * cosine(x[i], x[p]) for p in pos]) * 2.0 / beta
        neg_term = logsumexp([alpha * cosine(x[i], x[k]) for k in neg]) * 2.0 / alpha
        total += pos_term + neg_term
    return total / n


def generalized_lifted(x, labels, neg_margin=1.0):
    """Hermans et al.'s generalised lifted loss: mean over anchors with both sets."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    total, anchors = 0.0, 0
    for i in range(n):
        pos, neg = anchor_sets(labels, i)
        if not pos or not neg:
            continue
        anchors += 1
        value = (logsumexp([dist(x[i], x[p]) for p in pos])
                 + logsumexp([neg_margin - dist(x[i], x[k]) for k in neg]))
        total += max(0.0, value)
    return total / anchors if anchors else 0.0
