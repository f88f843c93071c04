"""Pairwise distances for the loss blocks, written for NDArray and Symbol (``F``).

A distance object is called as ``distance(F, x, y=None)`` and returns the (N, M) matrix
of the rows of ``x`` against those of ``y``; with ``y`` omitted, of ``x`` against itself,
with an exactly zero diagonal. ``is_similarity`` tells which way is closer (PML's
``is_inverted``).

The epsilon policy, stated once: the Euclidean distance is
``sqrt(clamp(|x - y|^2 + offset, eps, ceiling))``, and with ``exact_zero`` entries whose
squared distance is below ``eps`` are set to 0, so coincident points give distance 0 and
gradient 0 instead of 0/0. The default (eps 1e-12, exact zeros) serves every loss but
those whose published code clamps otherwise; they name their parameters (margin,
HPHN, the distance-weighted sampler) rather than write a formula of their own.
"""


def row_index(F, x):
    """0..N-1 along the rows of ``x`` (works on symbols of unknown shape)."""
    return F.contrib.arange_like(x, axis=0)


def identity_like(F, x):
    """(N, N) identity in the dtype of ``x``, for N rows of ``x``."""
    idx = row_index(F, x)
    return F.broadcast_equal(idx.reshape((-1, 1)), idx.reshape((1, -1)))


def squared_euclidean(F, x, y=None, clamp=True):
    """||x_i - y_j||^2 by expansion, clamped at 0 against rounding (``clamp``; the
    prototypical loss keeps the raw expansion, a constant shift of its softmax rows)."""
    other = x if y is None else y
    sq_x = F.sum(F.square(x), axis=1, keepdims=True)
    sq_y = F.sum(F.square(other), axis=1, keepdims=True)
    dot = F.dot(x, other, transpose_b=True)
    dist = F.broadcast_add(sq_x, sq_y.reshape((1, -1))) - 2 * dot
    if not clamp:
        return dist
    dist = F.relu(dist)
    if y is None:
        dist = dist * (1 - identity_like(F, x))
    return dist


def l2_normalize(F, x, eps=1e-12):
    """x_i / sqrt(|x_i|^2 + eps): zero rows stay zero."""
    return F.broadcast_div(x, F.sqrt(F.sum(F.square(x), axis=1, keepdims=True) + eps))


class SquaredEuclidean:
    """D_ij = |x_i - y_j|^2."""
    is_similarity = False

    def __call__(self, F, x, y=None):
        return squared_euclidean(F, x, y)


class Euclidean:
    """D_ij = sqrt(clamp(|x_i - y_j|^2 + offset, eps, ceiling)), 0 below eps if ``exact_zero``.

    Instances in use: ``Euclidean()`` (most losses); ``Euclidean(eps=0, offset=1e-8,
    exact_zero=False)``, margin loss's sqrt(d^2 + 1e-8); ``Euclidean(ceiling=1e12,
    exact_zero=False)``, Embedding Expansion's sqrt(clip(d^2, 1e-12, 1e12));
    ``Euclidean(eps=0, exact_zero=False)``, the plain sqrt(d^2) of the distance-weighted
    sampler (which never differentiates it).
    """
    is_similarity = False

    def __init__(self, eps=1e-12, offset=0.0, ceiling=None, exact_zero=True):
        self.eps, self.offset, self.ceiling, self.exact_zero = eps, offset, ceiling, exact_zero

    def __call__(self, F, x, y=None):
        sq = squared_euclidean(F, x, y)
        shifted = sq + self.offset if self.offset else sq
        if self.ceiling is not None:
            shifted = F.clip(shifted, self.eps, self.ceiling)
        elif self.eps:
            shifted = F.maximum(shifted, self.eps)
        dist = F.sqrt(shifted)
        if self.exact_zero:
            dist = dist * (1 - (sq < self.eps))
        return dist


class Cosine:
    """S_ij = <x_i, y_j> / (|x_i| |y_j|), a similarity.

    ``normalize=False`` takes the dot product as it is: the binomial and multi-similarity
    scripts' heads already L2-normalise, and normalising again would change the gradient.
    """
    is_similarity = True

    def __init__(self, normalize=True, eps=1e-12):
        self.normalize, self.eps = normalize, eps

    def __call__(self, F, x, y=None):
        other = x if y is None else y
        if self.normalize:
            x, other = l2_normalize(F, x, self.eps), l2_normalize(F, other, self.eps)
        return F.dot(x, other, transpose_b=True)
