"""Direction Regularization (Mohan et al., CVPR 2020) applied to a negative's
distance/similarity.

R(a, p, n) is the cosine of one of two angles:
  angle='phi'   (reproductions):                 u = n - a, v = p - a.
  angle='theta' (paper geometry, c = (a + p)/2): u = n - c, v = a - p.
R = <u, v> / (||u|| ||v||) if ||u|| > tau and ||v|| > tau, else 0.

dr_triplet_loss: over ALL triplets (a, p, n), p != a, labels[p] == labels[a],
  labels[n] != labels[a]:
  term = max(0, d_ap - d_an + margin - sign * gamma * R(x_a, x_p, x_n)),
  d Euclidean; L = mean of the terms (0 if none).
dr_proxy_nca_loss: xh_i = x_i / ||x_i||, ph_c = proxies_c / ||proxies_c||;
  d_ic = ||scale*xh_i - scale*ph_c||^2 / temperature;
  for z != y = labels[i]: dz = d_iz + sign * gamma * R(xh_i, ph_y, ph_z);
  l_i = d_iy + log sum_{z != y} exp(-dz) (stable); L = mean_i l_i.
"""
import math

import numpy as np


def norm(u):
    """Euclidean norm of a 1-D vector."""
    return math.sqrt(float(np.dot(u, u)))


def dr_cosine(a, p, n, angle='phi', tau=1e-4):
    """Direction-regularisation cosine R(a, p, n) (0 for degenerate triplets)."""
    a = np.asarray(a, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if angle == 'phi':
        u, v = n - a, p - a
    elif angle == 'theta':
        c = (a + p) / 2.0
        u, v = n - c, a - p
    else:
        raise ValueError("angle must be 'phi' or 'theta'")
    nu, nv = norm(u), norm(v)
    if nu > tau and nv > tau:
        return float(np.dot(u, v)) / (nu * nv)
    return 0.0


def dr_triplet_loss(x, labels, margin=0.2, gamma=0.3, angle='phi', sign=1.0,
                    tau=1e-4):
    """Mean over all valid triplets of the direction-regularised triplet loss."""
    x = np.asarray(x, dtype=np.float64)
    labels = [int(v) for v in labels]
    b = len(x)
    total, count = 0.0, 0
    for a in range(b):
        for p in range(b):
            if p == a or labels[p] != labels[a]:
                continue
            d_ap = norm(x[a] - x[p])
            for n in range(b):
                if labels[n] == labels[a]:
                    continue
                d_an = norm(x[a] - x[n])
                r = dr_cosine(x[a], x[p], x[n], angle, tau)
                total += max(0.0, d_ap - d_an + margin - sign * gamma * r)
                count += 1
    return total / count if count else 0.0


def dr_proxy_nca_loss(x, labels, proxies, scale=3.0, temperature=1.0, gamma=0.3,
                      angle='phi', sign=1.0, tau=1e-4):
    """Proxy-NCA loss with direction regularisation on the negative proxies."""
    x = np.asarray(x, dtype=np.float64)
    proxies = np.asarray(proxies, dtype=np.float64)
    labels = [int(v) for v in labels]
    num_classes = len(proxies)
    if num_classes < 2:
        raise ValueError("need at least two proxies")
    ph = [proxies[c] / norm(proxies[c]) for c in range(num_classes)]
    total = 0.0
    for i in range(len(x)):
        xh = x[i] / norm(x[i])
        y = labels[i]
        d = [norm(scale * xh - scale * ph[c]) ** 2 / temperature
             for c in range(num_classes)]
        neg = []
        for z in range(num_classes):
            if z == y:
                continue
            r = dr_cosine(xh, ph[y], ph[z], angle, tau)
            neg.append(-(d[z] + sign * gamma * r))
        mx = max(neg)
        lse = mx + math.log(sum(math.exp(v - mx) for v in neg))
        total += d[y] + lse
    return total / len(x)
