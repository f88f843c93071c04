"""N-pair loss (Sohn, NIPS 2016) and angular loss in N-pair form (Wang et al.,
ICCV 2017, as in the DML playground).

Inputs: anchors A (N, D), positives P (N, D), labels (N,) (the label of pair i).
E_ij = 1 if labels[i] == labels[j] else 0; T_ij = E_ij / sum_k E_ik.
reg = l2_reg * ( (1/N) sum_i ||A_i||^2 + (1/N) sum_i ||P_i||^2 ).
xe(S) = (1/N) sum_i sum_j -T_ij * log( exp(S_ij) / sum_k exp(S_ik) )
(stable log-softmax).

npair_loss:   S_ij = <A_i, P_j>; L = reg + xe(S).
              symmetric: L = reg + 0.5 * (xe(S) + xe(S')), S'_ij = <P_i, A_j>.
angular_loss: t = tan(alpha)^2, alpha = radians(alpha_degrees);
              S_ij = 2 (1 + t) <A_i, P_j>      if E_ij == 1,
                     4 t <A_i + P_i, P_j>      otherwise;
              L = reg + xe(S).
              symmetric: S'_ij = 2 (1 + t) <P_i, A_j> if E_ij else
                         4 t <P_i + A_i, A_j>; L = reg + 0.5 (xe(S) + xe(S')).
"""
import math

import numpy as np


def dot(u, v):
    """Dot product of two 1-D vectors (float64)."""
    return float(sum(float(a) * float(b) for a, b in zip(u, v)))


def logsumexp(values):
    """Stable log(sum(exp(values))) of a non-empty list of floats."""
    m = max(values)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(v - m) for v in values))


def soft_targets(labels):
    """T_ij = E_ij / sum_k E_ik with E_ij = [labels[i] == labels[j]]."""
    n = len(labels)
    t = [[0.0] * n for _ in range(n)]
    for i in range(n):
        same = [j for j in range(n) if labels[j] == labels[i]]
        for j in same:
            t[i][j] = 1.0 / len(same)
    return t


def soft_xe(s, labels):
    """xe(S): mean over rows of the soft-target cross-entropy of softmax(S_i)."""
    n = len(s)
    t = soft_targets(labels)
    total = 0.0
    for i in range(n):
        lse = logsumexp([s[i][k] for k in range(n)])
        for j in range(n):
            if t[i][j] != 0.0:
                total += -t[i][j] * (s[i][j] - lse)
    return total / n


def l2_regulariser(anchors, positives, l2_reg):
    """reg = l2_reg * (mean_i ||A_i||^2 + mean_i ||P_i||^2)."""
    n = len(anchors)
    sa = sum(dot(anchors[i], anchors[i]) for i in range(n)) / n
    sp = sum(dot(positives[i], positives[i]) for i in range(n)) / n
    return l2_reg * (sa + sp)


def _npair_sim(a, p):
    """S_ij = <a_i, p_j>."""
    n = len(a)
    return [[dot(a[i], p[j]) for j in range(n)] for i in range(n)]


def _angular_sim(a, p, labels, t):
    """S_ij = 2(1+t)<a_i, p_j> if same label else 4t<a_i + p_i, p_j>."""
    n = len(a)
    s = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if labels[i] == labels[j]:
                s[i][j] = 2.0 * (1.0 + t) * dot(a[i], p[j])
            else:
                s[i][j] = 4.0 * t * dot(a[i] + p[i], p[j])
    return s


def npair_loss(anchors, positives, labels, l2_reg=5e-4, symmetric=False):
    """N-pair loss with soft (multi-positive) targets and L2 regulariser."""
    a = np.asarray(anchors, dtype=np.float64)
    p = np.asarray(positives, dtype=np.float64)
    labels = [int(v) for v in labels]
    reg = l2_regulariser(a, p, l2_reg)
    xe = soft_xe(_npair_sim(a, p), labels)
    if symmetric:
        xe = 0.5 * (xe + soft_xe(_npair_sim(p, a), labels))
    return reg + xe


def angular_loss(anchors, positives, labels, alpha_degrees=45.0, l2_reg=5e-4,
                 symmetric=False):
    """Angular loss (N-pair form) with soft targets and L2 regulariser."""
    a = np.asarray(anchors, dtype=np.float64)
    p = np.asarray(positives, dtype=np.float64)
    labels = [int(v) for v in labels]
    t = math.tan(math.radians(alpha_degrees)) ** 2
    reg = l2_regulariser(a, p, l2_reg)
    xe = soft_xe(_angular_sim(a, p, labels, t), labels)
    if symmetric:
        xe = 0.5 * (xe + soft_xe(_angular_sim(p, a, labels, t), labels))
    return reg + xe
