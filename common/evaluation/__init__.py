"""Evaluation of embeddings: numpy arrays in, a dict of metrics (percent) out.

Knows nothing of MXNet networks; see :mod:`common.training.embed` for
turning a dataset into embeddings. :mod:`.embeddings_file` is the file of test
embeddings that a run saves (``--save-embeddings``) for the visualisations.
"""
import warnings

import numpy as np

from .backend import check as check_backend
from .clustering import kmeans_assign
from .knn import exact_knn, gpu_available
from .metrics import map_at_r, nmi, recall_at_k

DEFAULT_RECALL_KS = (1, 2, 4, 8, 16, 32)


def l2_normalized(embeddings):
    """Rows scaled to unit length (zero rows stay zero)."""
    return embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)


def _check(name, embeddings, labels):
    embeddings = np.asarray(embeddings)
    labels = np.asarray(labels).ravel()
    if embeddings.ndim != 2 or len(embeddings) != len(labels):
        raise ValueError('evaluate: %s embeddings of shape %s do not match %d labels'
                         % (name, embeddings.shape, len(labels)))
    if not np.isfinite(embeddings).all():
        raise ValueError('evaluate: %s embeddings contain NaN or infinity; training diverged'
                         % name)
    return embeddings.astype(np.float32), labels


class EvaluationWarning(UserWarning):
    """A metric is undefined or came out of a degenerate computation (the reason is the
    message; callers put it in their records)."""


def _note(message):
    warnings.warn(message, EvaluationWarning, stacklevel=3)


def _nmi(points, labels, seed, iters, use_gpu, backend):
    """NMI, or NaN with a warning saying why it cannot be trusted; never a silent 0."""
    k = len(np.unique(labels))
    if k < 2 or k == len(labels):
        _note('NMI is undefined with %s (NaN)' % ('a single class' if k < 2 else
                                                  'one item per class'))
        return float('nan')
    try:
        clusters = kmeans_assign(points, k, seed=seed, niter=iters, use_gpu=use_gpu,
                                 backend=backend)
    except Exception as e:  # faiss and scikit-learn raise many types; the run goes on
        _note('k-means failed, NMI is NaN: %s' % (str(e).strip().splitlines() or [repr(e)])[-1])
        return float('nan')
    found = len(np.unique(clusters))
    if found < k:
        distinct = len(np.unique(points, axis=0))
        _note('k-means found %d of %d clusters (the embeddings hold %d distinct points); NMI '
              'measures that clustering' % (found, k, distinct))
    return nmi(labels, clusters)


def evaluate(embeddings, labels, recall_ks=DEFAULT_RECALL_KS, gallery_embeddings=None,
             gallery_labels=None, compute_nmi=True, compute_map_at_r=True, metric='euclidean',
             kmeans_seed=0, kmeans_iters=20, block_size=4096, use_gpu=None, backend='auto'):
    """Recall@K, NMI and MAP@R of ``embeddings`` with integer ``labels``.

    Without a gallery, every embedding queries all the others (self excluded
    by index). With ``gallery_embeddings`` (In-Shop), ``embeddings`` are the
    queries and NMI clusters queries and gallery together into as many
    clusters as they have distinct labels. ``metric='cosine'`` L2-normalises
    first. ``backend`` runs the k-NN search and k-means in faiss (``'faiss'``), in
    numpy's BLAS (``'blas'``) or as :mod:`.backend`'s measured rule picks (``'auto'``);
    the metrics do not depend on it. Returns ``{'R@1': ..., 'NMI': ..., 'MAP@R': ...}``
    in percent.
    """
    check_backend(backend)
    if metric not in ('euclidean', 'cosine'):
        raise ValueError("evaluate: metric must be 'euclidean' or 'cosine', not %r" % metric)
    queries, q_labels = _check('query', embeddings, labels)
    if gallery_embeddings is None:
        gallery, g_labels = None, q_labels
    else:
        gallery, g_labels = _check('gallery', gallery_embeddings, gallery_labels)
        if gallery.shape[1] != queries.shape[1]:
            raise ValueError('evaluate: query and gallery dimensions differ')
    if metric == 'cosine':
        queries = l2_normalized(queries)
        if gallery is not None:
            gallery = l2_normalized(gallery)

    classes, counts = np.unique(g_labels, return_counts=True)
    count_of = dict(zip(classes.tolist(), counts.tolist()))
    relevant = np.array([count_of.get(y, 0) for y in q_labels.tolist()])
    if gallery is None:
        relevant = relevant - 1  # the query itself is not retrievable
    alone = int(np.sum(relevant == 0))
    if alone == len(relevant):
        _note('no query has another item of its class to find: Recall@K and MAP@R are '
              'undefined (NaN)')
    elif alone:
        _note('%d of %d queries have no other item of their class; they count as misses in '
              'Recall@K and are left out of MAP@R' % (alone, len(relevant)))
    k = max(recall_ks)
    if compute_map_at_r:
        k = max(k, int(relevant.max()))
    idx, _ = exact_knn(queries, gallery, k, block_size=block_size, use_gpu=use_gpu,
                       backend=backend)
    hits = np.empty(idx.shape, dtype=bool)
    for start in range(0, len(idx), block_size):  # never a full int64 label matrix
        rows = slice(start, start + block_size)
        hits[rows] = g_labels[idx[rows]] == q_labels[rows, None]
    del idx

    results = {'R@%d' % kk: v if alone < len(relevant) else float('nan')
               for kk, v in recall_at_k(hits, recall_ks).items()}
    if compute_nmi:
        points = queries if gallery is None else np.concatenate([queries, gallery])
        point_labels = q_labels if gallery is None else np.concatenate([q_labels, g_labels])
        results['NMI'] = _nmi(points, point_labels, kmeans_seed, kmeans_iters, use_gpu,
                              backend)
    if compute_map_at_r:
        results['MAP@R'] = map_at_r(hits, relevant)
    return results


__all__ = ['evaluate', 'EvaluationWarning', 'exact_knn', 'kmeans_assign', 'recall_at_k',
           'map_at_r', 'nmi', 'gpu_available', 'DEFAULT_RECALL_KS']
