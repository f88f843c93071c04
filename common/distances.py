"""Pairwise distances for loss blocks, written for both NDArray and Symbol (``F``).

All functions take row-major embedding matrices and return an (N, M)
matrix. With ``y`` omitted the matrix is of ``x`` against itself and its
diagonal is exactly zero (not just numerically close).
"""


def row_index(F, x):
    """0..N-1 along the rows of ``x`` (works on symbols of unknown shape)."""
    return F.contrib.arange_like(x, axis=0)


def identity_like(F, x):
    """(N, N) identity in the dtype of ``x``, for N rows of ``x``."""
    idx = row_index(F, x)
    return F.broadcast_equal(idx.reshape((-1, 1)), idx.reshape((1, -1)))


def squared_euclidean(F, x, y=None):
    """||x_i - y_j||^2 by expansion, clamped at 0 against rounding."""
    other = x if y is None else y
    sq_x = F.sum(F.square(x), axis=1, keepdims=True)
    sq_y = F.sum(F.square(other), axis=1, keepdims=True)
    dot = F.dot(x, other, transpose_b=True)
    dist = F.relu(F.broadcast_add(sq_x, sq_y.reshape((1, -1))) - 2 * dot)
    if y is None:
        dist = dist * (1 - identity_like(F, x))
    return dist


def euclidean(F, x, y=None, eps=1e-12):
    """||x_i - y_j|| with a finite gradient at zero distance.

    The square root is taken of ``max(d^2, eps)`` and entries whose squared
    distance is below ``eps`` are then set to 0, so coincident points give
    distance 0 and gradient 0 instead of 0/0.
    """
    sq = squared_euclidean(F, x, y)
    tiny = sq < eps
    return F.sqrt(F.maximum(sq, eps)) * (1 - tiny)


def dot_similarity(F, x, y=None):
    return F.dot(x, x if y is None else y, transpose_b=True)
