"""faiss's random draws (faiss/utils/random.cpp), reproduced with numpy's MT19937.

The BLAS k-means must start from the centroids faiss would pick and split empty
clusters as faiss does, so that it is the same algorithm and not merely a similar
one. faiss draws from ``std::mt19937`` seeded with a 32-bit integer; numpy's
``MT19937`` with its legacy seeding is the same generator (``init_genrand``), so
the raw 32-bit words are identical.
"""
import numpy as np


class RandomGenerator:
    """faiss::RandomGenerator: ``rand_int(max)`` and ``rand_float()`` from one stream."""

    def __init__(self, seed):
        self._mt = np.random.MT19937()
        # faiss casts its int64 seed to unsigned int: keep the low 32 bits.
        self._mt._legacy_seeding(int(seed) % 2 ** 32)

    def raw(self, n):
        return self._mt.random_raw(n).astype(np.uint64)

    def floats(self, n):
        """The next n ``rand_float()``: mt() / float(mt.max()), in float32 as in C++
        (float(4294967295) rounds to 2**32)."""
        return self.raw(n).astype(np.float32) / np.float32(2.0 ** 32)


def rand_perm(n, seed):
    """faiss::rand_perm: Fisher-Yates with ``i + rng.rand_int(n - i)``."""
    perm = np.arange(n, dtype=np.int64)
    if n < 2:
        return perm
    i = np.arange(n - 1, dtype=np.uint64)
    swap_with = (i + RandomGenerator(seed).raw(n - 1) % (np.uint64(n) - i)).astype(np.int64)
    # Sequential swaps: each depends on the previous ones, so this loop cannot vectorise.
    for a, b in enumerate(swap_with.tolist()):
        perm[a], perm[b] = perm[b], perm[a]
    return perm


def random_init(x, k, seed):
    """The k starting centroids of ``faiss.Kmeans(seed=seed)``: rows perm[:k] of x
    (faiss seeds its permutation with seed + 1 on the first redo)."""
    return np.array(x[rand_perm(len(x), seed + 1)[:k]], dtype=np.float32)
