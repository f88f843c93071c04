"""Multi-similarity loss with pair mining (Wang et al., CVPR 2019), optionally
with Direction Regularization (Mohan et al., CVPR 2020) on the negatives.

S_ij = <x_i, x_j> (x used as given). For each anchor i:
  Pos_i = { j != i : labels[j] == labels[i] }, Neg_i = { j : labels[j] != labels[i] };
  if either is empty the anchor contributes 0.
  Mining: keep negative n if S_in + epsilon > min_{p in Pos_i} S_ip;
          keep positive p if S_ip - epsilon < max_{n in Neg_i} S_in;
          if no negative or no positive is kept the anchor contributes 0.
  h_i = argmin_{p in Pos_i} S_ip (ties: smallest index).
  sn_in = S_in - sign * gamma * R(x_i, x_{h_i}, x_n), R the direction cosine
          (angle 'phi': u = n - a, v = p - a; 'theta': c = (a + p)/2,
          u = n - c, v = a - p; R = <u, v>/(||u|| ||v||) if both norms > tau
          else 0).
  l_i = (1/alpha) log(1 + sum_{kept p} exp(-alpha (S_ip - base)))
      + (1/beta)  log(1 + sum_{kept n} exp(beta (sn_in - base)))
      (each log(1 + sum exp) as a log-sum-exp with an extra 0 term).
L = (1/B) sum_i l_i.
"""
import math

import numpy as np

from .direction import dr_cosine


def dot(u, v):
    """Dot product of two 1-D vectors."""
    return float(np.dot(u, v))


def log1p_sum_exp(values):
    """Stable log(1 + sum(exp(values))) = logsumexp([0] + values)."""
    vals = [0.0] + list(values)
    m = max(vals)
    return m + math.log(sum(math.exp(v - m) for v in vals))


def ms_loss(x, labels, alpha=2.0, beta=50.0, base=1.0, epsilon=0.1, gamma=0.0,
            angle='phi', sign=1.0, tau=1e-4):
    """Multi-similarity loss (with mining, optional DR), divided by batch size."""
    x = np.asarray(x, dtype=np.float64)
    labels = [int(v) for v in labels]
    b = len(x)
    s = [[dot(x[i], x[j]) for j in range(b)] for i in range(b)]
    total = 0.0
    for i in range(b):
        pos = [j for j in range(b) if j != i and labels[j] == labels[i]]
        neg = [j for j in range(b) if labels[j] != labels[i]]
        if not pos or not neg:
            continue
        min_pos = min(s[i][p] for p in pos)
        max_neg = max(s[i][n] for n in neg)
        kept_neg = [n for n in neg if s[i][n] + epsilon > min_pos]
        kept_pos = [p for p in pos if s[i][p] - epsilon < max_neg]
        if not kept_neg or not kept_pos:
            continue
        h = pos[0]
        for p in pos:
            if s[i][p] < s[i][h]:
                h = p
        pos_terms = [-alpha * (s[i][p] - base) for p in kept_pos]
        neg_terms = []
        for n in kept_neg:
            r = dr_cosine(x[i], x[h], x[n], angle, tau)
            sn = s[i][n] - sign * gamma * r
            neg_terms.append(beta * (sn - base))
        total += log1p_sum_exp(pos_terms) / alpha + log1p_sum_exp(neg_terms) / beta
    return total / b
