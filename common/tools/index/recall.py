"""How well an index retrieves: Recall@K over its labelled images, leave-one-out, and for
an approximate index how many of the exact k nearest neighbours it finds.

Every indexed image with a class folder queries the index for its nearest other images;
a hit is one of the same class folder (Recall@K as common.evaluation defines it, so that
for a flat index the numbers equal :func:`common.evaluation.evaluate` on the same
embeddings). Images without a class stay in the gallery and never count as hits.
"""
import numpy as np

from ...evaluation import DEFAULT_RECALL_KS, exact_knn, recall_at_k
from .faiss_index import prepare
from .search import drop_own, search_others


def class_labels(classes):
    """Integer labels of class folder names; -1 for images without one."""
    names = sorted({c for c in classes if c})
    code = {c: i for i, c in enumerate(names)}
    return np.array([code.get(c, -1) for c in classes], dtype=np.int64)


def recall_through_index(index, vectors, labels, metric, ks=DEFAULT_RECALL_KS):
    """Recall@K (percent) of the labelled vectors (``vectors[i]`` is id i), searched
    through ``index``; Ks above the number of other images are left out."""
    queries = np.flatnonzero(labels >= 0)
    if len(queries) == 0:
        raise ValueError('no indexed image lies in a class folder: Recall@K needs the '
                         'ROOT/<class>/<image> layout')
    ks = [k for k in ks if k <= index.ntotal - 1]
    found, _ = search_others(index, vectors, max(ks), metric, queries)
    # An approximate index may return fewer than k (id -1): those places are misses.
    hits = (found >= 0) & (labels[np.maximum(found, 0)] == labels[queries, None])
    return {'R@%d' % k: v for k, v in recall_at_k(hits, ks).items()}


def recall_against_exact(index, vectors, metric, k=10, queries=None, seed=0):
    """Mean share of a query's exact k nearest other vectors that the index returns among
    its k nearest; ``queries`` random indexed vectors (default: all) ask."""
    n = len(vectors)
    ids = np.arange(n) if queries is None or queries >= n else \
        np.sort(np.random.default_rng(seed).choice(n, queries, replace=False))
    k = min(k, n - 1)
    prepared = prepare(vectors, metric)
    exact, distances = exact_knn(prepared[ids], prepared, k + 1)
    exact, _ = drop_own(exact.astype(np.int64), distances, ids, k)
    found, _ = search_others(index, vectors, k, metric, ids)
    return float(np.mean([len(np.intersect1d(a, b[b >= 0])) / k
                          for a, b in zip(exact, found)]))
