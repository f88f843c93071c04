"""Structured clustering / facility-location loss (Song et al., CVPR 2017), as ported
from TensorFlow's contrib ``cluster_loss``.

B points x_i with labels y_i; |Y| = number of distinct labels in the batch.
    D_ij = ||x_i - x_j||                               (non-squared Euclidean)
    NMI(a, b) = MI(a, b) / max(sqrt(H(a) H(b)), 1e-10), natural logs, with
        MI = sum_{u,v: n_uv > 0} (n_uv / N) log(n_uv N / (n_u n_v)),
        H(a) = - sum_u (n_u / N) log(n_u / N);
        NMI = 1 when both labelings have a single distinct value.
    Medoids S = [s_0, ..., s_{K-1}] (ordered point indices);
    assign(D, S)_i = argmin_k D[i, s_k] (smallest k on ties), then assign(D, S)_{s_k} = k.
    F(S) = - sum_i min_k D[i, s_k]                     (facility energy)
    Delta(S) = 1 - NMI(y, assign(D, S))
    Greedy loss-augmented inference: S = []; |Y| times append
        argmax_{c not in S} F(S + [c]) + gamma Delta(S + [c])     (smallest c on ties).
    PAM refinement, ``iterations`` times: a = assign(D, S) at the start of the
    iteration; for k = 0..K-1 in order, over the members M_k = {i : a_i = k},
        s_k <- argmax_{m in M_k} - sum_{i in M_k} D[i, m] + gamma Delta(S with s_k = m)
    (S the current list, smallest m on ties).
    F~(y) = sum_classes c ( - min_{m in c} sum_{i in c} D[i, m] )    (ground-truth energy)
    L = max(0, F(S) + gamma Delta(S) - F~(y)), S after greedy and PAM.
Sums use math.fsum (correctly rounded, hence independent of the order): candidates
whose scores add up the same values (e.g. the two points of a two-member cluster)
tie exactly here, and the smallest index wins.
The medoid choices and the NMI term are constants: the gradient flows only
through the distances inside F(S) and F~(y) (what finite differences of this
function give on generic inputs, where the choices are piecewise constant).
"""
import itertools
import math

import numpy as np


def distances(x):
    """B x B matrix (nested lists of floats) of Euclidean distances."""
    x = np.asarray(x, dtype=np.float64)
    size = len(x)
    d = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(size):
            diff = x[i] - x[j]
            d[i][j] = math.sqrt(float(np.dot(diff, diff)))
    return d


def _entropy(counts, total):
    return -math.fsum(c / total * math.log(c / total) for c in counts.values())


def nmi(a, b):
    """Normalised mutual information, geometric normalisation, natural logs."""
    a = [int(v) for v in a]
    b = [int(v) for v in b]
    total = len(a)
    count_a, count_b, joint = {}, {}, {}
    for u, v in zip(a, b):
        count_a[u] = count_a.get(u, 0) + 1
        count_b[v] = count_b.get(v, 0) + 1
        joint[(u, v)] = joint.get((u, v), 0) + 1
    if len(count_a) == 1 and len(count_b) == 1:
        return 1.0
    mi = math.fsum(n_uv / total * math.log(n_uv * total / (count_a[u] * count_b[v]))
                   for (u, v), n_uv in joint.items())
    h_a, h_b = _entropy(count_a, total), _entropy(count_b, total)
    return mi / max(math.sqrt(h_a * h_b), 1e-10)


def assign(D, medoids):
    """Cluster index of every point: nearest medoid (first on ties), medoids forced."""
    size = len(D)
    out = []
    for i in range(size):
        best = 0
        for k in range(1, len(medoids)):
            if D[i][medoids[k]] < D[i][medoids[best]]:
                best = k
        out.append(best)
    for k, s in enumerate(medoids):
        out[s] = k
    return out


def facility_energy(D, medoids):
    return -math.fsum(min(D[i][s] for s in medoids) for i in range(len(D)))


def objective(D, labels, medoids, gamma):
    """F(S) + gamma (1 - NMI(y, assign(D, S)))."""
    return facility_energy(D, medoids) + gamma * (1.0 - nmi(labels, assign(D, medoids)))


def _pick(candidates, scores, gaps):
    """First candidate with the highest score; records the gap to the runner-up."""
    best = 0
    for j in range(1, len(scores)):
        if scores[j] > scores[best]:
            best = j
    others = [scores[j] for j in range(len(scores)) if j != best]
    gaps.append(scores[best] - max(others) if others else math.inf)
    return candidates[best]


def _greedy(D, labels, gamma, gaps):
    chosen = []
    for _ in range(len(set(int(v) for v in labels))):
        candidates = [c for c in range(len(D)) if c not in chosen]
        scores = [objective(D, labels, chosen + [c], gamma) for c in candidates]
        chosen.append(_pick(candidates, scores, gaps))
    return chosen


def _pam(D, labels, medoids, gamma, iterations, gaps):
    medoids = [int(s) for s in medoids]
    for _ in range(iterations):
        start = assign(D, medoids)
        for k in range(len(medoids)):
            members = [i for i in range(len(D)) if start[i] == k]
            scores = []
            for m in members:
                trial = medoids[:k] + [m] + medoids[k + 1:]
                scores.append(-math.fsum(D[i][m] for i in members)
                              + gamma * (1.0 - nmi(labels, assign(D, trial))))
            medoids[k] = _pick(members, scores, gaps)
    return medoids


def greedy_medoids(D, labels, gamma):
    return _greedy(D, labels, gamma, [])


def pam_refine(D, labels, medoids, gamma, iterations=5):
    return _pam(D, labels, medoids, gamma, iterations, [])


def decision_gap(D, labels, gamma, iterations=5, medoids=None):
    """Smallest score gap between the winner and the runner-up over every decision of
    greedy + PAM (of PAM alone when starting ``medoids`` are given); inf when no decision
    had two candidates. A zero gap is an exact tie, a tiny one a near-tie where rounding
    may change the medoids."""
    gaps = []
    if medoids is None:
        medoids = _greedy(D, labels, gamma, gaps)
    _pam(D, labels, medoids, gamma, iterations, gaps)
    return min(gaps) if gaps else math.inf


def gt_energy(D, labels):
    labels = [int(v) for v in labels]
    total = 0.0
    for c in sorted(set(labels)):
        members = [i for i in range(len(D)) if labels[i] == c]
        total -= min(math.fsum(D[i][m] for i in members) for m in members)
    return total


def facility_location_loss(x, labels, gamma=1.0, pam_iterations=5):
    D = distances(x)
    medoids = greedy_medoids(D, labels, gamma)
    medoids = pam_refine(D, labels, medoids, gamma, pam_iterations)
    return max(0.0, objective(D, labels, medoids, gamma) - gt_energy(D, labels))


def exhaustive_best(D, labels, gamma):
    """max over all |Y|-subsets S (sorted) of F(S) + gamma (1 - NMI); tiny inputs only."""
    k = len(set(int(v) for v in labels))
    return max(objective(D, labels, list(subset), gamma)
               for subset in itertools.combinations(range(len(D)), k))
