"""Retrieval and clustering metrics from neighbour lists and cluster assignments.

Definitions (all returned in percent, as the playground logs them):

* Recall@K: share of queries with at least one same-label item among their
  K nearest neighbours. Queries without any same-label item in the gallery
  count as misses (as in the playground; the standard benchmarks have none).
* MAP@R (Musgrave et al. 2020): for a query with R same-label gallery items
  (itself excluded), (1/R) * sum over ranks i <= R of precision@i at the
  ranks i holding a same-label item. Queries with R = 0 are left out.
* NMI: normalised mutual information between labels and k-means clusters,
  with the geometric-mean normaliser the playground uses.
"""
import numpy as np


def recall_at_k(hits, ks):
    """``hits``: (n_queries, k) booleans, neighbour j has the query's label."""
    first_hit = np.where(hits.any(axis=1), hits.argmax(axis=1), np.iinfo(np.int64).max)
    return {k: 100.0 * float(np.mean(first_hit < k)) for k in ks}


def map_at_r(hits, relevant_counts):
    """``relevant_counts``: R per query; ``hits`` must have at least max(R) columns."""
    relevant_counts = np.asarray(relevant_counts)
    valid = relevant_counts > 0
    if not valid.any():
        return float('nan')
    if hits.shape[1] < relevant_counts.max():
        raise ValueError('map_at_r needs %d neighbours per query, got %d'
                         % (relevant_counts.max(), hits.shape[1]))
    # Ranks beyond the largest R never count: the rest of a k = 1000 list is left out.
    hits, r = hits[valid, :relevant_counts.max()], relevant_counts[valid]
    ranks = np.arange(1, hits.shape[1] + 1)
    within_r = ranks[None, :] <= r[:, None]
    rel = hits & within_r
    precision = np.cumsum(rel, axis=1) / ranks[None, :]
    return 100.0 * float(np.mean(np.sum(precision * rel, axis=1) / r))


def nmi(labels, clusters):
    from sklearn.metrics import normalized_mutual_info_score
    return 100.0 * float(normalized_mutual_info_score(labels, clusters,
                                                      average_method='geometric'))
