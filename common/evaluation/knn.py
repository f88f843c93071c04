"""Exact k-nearest-neighbour search in blocks, through faiss.

Never builds an N x N matrix: queries go to faiss in blocks and only the
k nearest (plus one look-ahead) are kept, so memory is O(N * k).

Conventions (what every metric relies on):

* distance is squared Euclidean on float32 embeddings;
* with ``exclude_self`` (query set = gallery set) a query never retrieves
  itself, identified by index, not by rank, so exact duplicates of the
  query are still retrieved;
* ties are broken by gallery index, smallest first. Where the k-th and the
  (k+1)-th distance tie, faiss's choice among the tied items is arbitrary,
  so that row is recomputed exactly (float64) and ordered by
  (distance, index).
"""
import numpy as np

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


def exact_knn(queries, gallery=None, k=1, block_size=4096, use_gpu=None):
    """Indices (n_queries x k, int64) and squared distances of the k nearest gallery items.

    ``gallery=None`` searches the queries among themselves and excludes each
    query's own index. ``k`` is capped at the number of candidates.
    """
    if faiss is None:
        raise ImportError('faiss is required for evaluation: pip install faiss-cpu==1.7.4')
    exclude_self = gallery is None
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    gallery = queries if exclude_self else np.ascontiguousarray(gallery, dtype=np.float32)
    n_candidates = len(gallery) - (1 if exclude_self else 0)
    k = min(k, n_candidates)
    if k < 1:
        raise ValueError('exact_knn: need at least one candidate neighbour per query')
    use_gpu = gpu_available() if use_gpu is None else use_gpu
    # faiss on GPU caps k at 2048; larger searches run on the CPU.
    index = _flat_index(gallery, use_gpu and k + 2 <= 2048)
    # k results, the query itself, and one look-ahead to detect a tie at the boundary.
    search_k = min(k + 1 + (1 if exclude_self else 0), len(gallery))
    out_idx = np.empty((len(queries), k), dtype=np.int64)
    out_dist = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), block_size):
        block = queries[start:start + block_size]
        dist, idx = index.search(block, search_k)
        for row in range(len(block)):
            q = start + row
            keep = idx[row] != q if exclude_self else np.ones(search_k, dtype=bool)
            if exclude_self and keep.all():
                keep[-1] = False  # self pushed out by duplicates: drop the extra column
            r_idx, r_dist = idx[row][keep], dist[row][keep]
            if len(r_dist) > k and r_dist[k - 1] == r_dist[k]:
                r_idx, r_dist = _exact_row(block[row], gallery, k, q if exclude_self else None)
            else:
                order = np.lexsort((r_idx[:k], r_dist[:k]))
                r_idx, r_dist = r_idx[:k][order], r_dist[:k][order]
            out_idx[q], out_dist[q] = r_idx, r_dist
    return out_idx, out_dist
