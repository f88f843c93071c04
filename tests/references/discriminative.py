"""Discriminative loss (Do et al. 2019, an upper bound on the triplet loss).

Fixed centroids: the C one-hot vertices e_c of R^C (x has C columns).
With C = num_classes classes and labels y_i in {0, ..., C - 1}:
    L = scale * sum_i ( ||x_i - e_{y_i}||^2
                        - 1 / (3 (C - 1)) * sum_{c != y_i} ||x_i - e_c||^2 ).
The sum runs over the batch (no mean).

Scale used in the DML playground for a batch of n samples:
    playground_scale(n, C) = 3 (C - 1) (n / C - 1) (n / C),
which is <= 0 when n <= C.
"""
import numpy as np


def sq_dist(u, v):
    """Squared Euclidean distance between two vectors."""
    d = u - v
    return float(np.dot(d, d))


def vertex(c, num_classes):
    """e_c: the one-hot vector of class c in R^C."""
    e = np.zeros(num_classes, dtype=np.float64)
    e[c] = 1.0
    return e


def discriminative_loss(x, labels, num_classes, scale):
    """scale * sum_i (|x_i - e_{y_i}|^2 - sum_{c != y_i} |x_i - e_c|^2 / (3 (C - 1)))."""
    x = np.asarray(x, dtype=np.float64)
    assert x.shape[1] == num_classes
    total = 0.0
    for i in range(len(x)):
        y = int(labels[i])
        term = sq_dist(x[i], vertex(y, num_classes))
        for c in range(num_classes):
            if c != y:
                term -= sq_dist(x[i], vertex(c, num_classes)) / (3.0 * (num_classes - 1))
        total += term
    return scale * total


def playground_scale(batch_size, num_classes):
    """3 (C - 1) (n / C - 1) (n / C), computed in floating point."""
    per_class = float(batch_size) / float(num_classes)
    return 3.0 * (num_classes - 1) * (per_class - 1.0) * per_class
