"""Exact k-nearest-neighbour search in blocks, through faiss or numpy's BLAS.

Never builds an N x N matrix: queries go in blocks and only the k nearest
(plus, with faiss, a look-ahead) are kept, so memory is O(N * k).
:mod:`.backend` chooses the implementation; :mod:`.blas_knn` is the BLAS one.

Conventions (what every metric relies on):

* distance is squared Euclidean on float32 embeddings;
* with ``exclude_self`` (query set = gallery set) a query never retrieves
  itself, identified by index, not by rank, so exact duplicates of the
  query are still retrieved;
* ties are broken by gallery index, smallest first. faiss is asked for a
  few more neighbours than needed; where the run of items tied with the
  k-th distance reaches even past those, faiss's choice among them is
  arbitrary, so that (rare) row is recomputed exactly (float64) and ordered
  by (distance, index).

Both implementations give these results; they can order differently only two
items whose distances agree to float32 rounding, which each computes its own way.
"""
import numpy as np

from . import backend as backends
from .blas_knn import blas_knn

try:
    import faiss
except ImportError:  # pragma: no cover - faiss is a declared dependency
    faiss = None


def gpu_available():
    return (faiss is not None and hasattr(faiss, 'StandardGpuResources')
            and faiss.get_num_gpus() > 0)


def _flat_index(gallery, use_gpu):
    index = faiss.IndexFlatL2(gallery.shape[1])
    if use_gpu:
        index = faiss.index_cpu_to_all_gpus(index)
    index.add(gallery)
    return index


def _exact_row(query, gallery, k, self_index):
    """k nearest of one query by exact float64 distance, ordered by (distance, index)."""
    diff = gallery.astype(np.float64) - query.astype(np.float64)
    dist = np.einsum('ij,ij->i', diff, diff)
    if self_index is not None:
        dist[self_index] = np.inf
    candidates = np.argpartition(dist, k - 1)[:k] if k < len(dist) else np.arange(len(dist))
    # Every item tied with the k-th distance competes for the last places.
    kth = dist[candidates].max()
    pool = np.union1d(candidates, np.flatnonzero(dist == kth))
    order = np.lexsort((pool, dist[pool]))[:k]
    return pool[order], dist[pool[order]]


def exact_knn(queries, gallery=None, k=1, block_size=4096, use_gpu=None, lookahead=8,
              backend='auto'):
    """Indices (n_queries x k) and squared distances of the k nearest gallery items.

    ``gallery=None`` searches the queries among themselves and excludes each
    query's own index. ``k`` is capped at the number of candidates. Indices
    are int32 when the gallery allows it (a SOP-sized k=1000 result is then
    240 MB instead of 480 MB). ``backend``: 'auto', 'faiss' or 'blas' (:mod:`.backend`);
    ``block_size`` is the queries per faiss call (BLAS blocks are sized by memory).
    """
    backends.check(backend)
    if faiss is None and backend != 'blas':
        raise ImportError('faiss is required for evaluation: pip install faiss-cpu==1.7.4')
    exclude_self = gallery is None
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    gallery = queries if exclude_self else np.ascontiguousarray(gallery, dtype=np.float32)
    n_candidates = len(gallery) - (1 if exclude_self else 0)
    k = min(k, n_candidates)
    if k < 1:
        raise ValueError('exact_knn: need at least one candidate neighbour per query')
    use_gpu = gpu_available() if use_gpu is None else use_gpu
    index_type = np.int32 if len(gallery) < 2 ** 31 else np.int64
    out_idx = np.empty((len(queries), k), dtype=index_type)
    out_dist = np.empty((len(queries), k), dtype=np.float32)
    if backends.for_knn(backend, k, use_gpu) == 'blas':
        return blas_knn(queries, gallery, k, exclude_self, out_idx, out_dist)
    # k results, the query itself, and a few more to see where a tie at the k-th place ends.
    search_k = min(k + 1 + lookahead, len(gallery))
    # faiss on GPU caps k at 2048; larger searches run on the CPU.
    index = _flat_index(gallery, use_gpu and search_k <= backends.GPU_KNN_MAX_K)
    for start in range(0, len(queries), block_size):
        block = queries[start:start + block_size]
        dist, idx = index.search(block, search_k)
        if exclude_self:
            # Move each query's own entry (if retrieved) to the end, then drop the last column:
            # either the query itself or, when duplicates pushed it out, one surplus neighbour.
            own = idx == np.arange(start, start + len(block))[:, None]
            dist = np.where(own, np.inf, dist)
        order = np.lexsort((idx, dist), axis=1)  # by distance, then by index
        dist = np.take_along_axis(dist, order, axis=1)
        idx = np.take_along_axis(idx, order, axis=1)
        if exclude_self:
            dist, idx = dist[:, :-1], idx[:, :-1]
        out_idx[start:start + len(block)] = idx[:, :k]
        out_dist[start:start + len(block)] = dist[:, :k]
        # Where the run of ties at the k-th distance reaches the end of what faiss returned,
        # faiss may have cut it arbitrarily: redo those rows exactly.
        if idx.shape[1] > k and search_k < len(gallery):
            for row in np.flatnonzero(dist[:, k - 1] == dist[:, -1]):
                q = start + row
                out_idx[q], out_dist[q] = _exact_row(block[row], gallery, k,
                                                     q if exclude_self else None)
    return out_idx, out_dist
