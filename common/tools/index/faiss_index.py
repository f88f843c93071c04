"""The three index types and their parameters, built through ``faiss.index_factory``.

* ``flat``: exact search (``Flat``), 4 d bytes a vector. The default.
* ``ivfpq``: an inverted file of ``nlist`` k-means cells whose vectors are compressed by
  product quantisation into ``m`` codes of ``nbits`` bits, re-ranked with 8-bit scalar
  quantised copies (``IVF<nlist>,PQ<m>x<nbits>,Refine(SQ8)``): a search visits ``nprobe``
  cells and re-ranks ``k_factor`` x k candidates. About m + d bytes a vector (plus 8 for
  the id): the choice above about a million images.
* ``hnsw``: a graph of ``M`` links a node (``HNSW<M>``), built with ``ef_construction``,
  searched with ``ef_search``; 4 d + 8 M bytes a vector, the fastest queries.

Every index searches squared Euclidean distance; a model whose metric is cosine has its
vectors L2-normalised first (the ranking is the cosine ranking, d^2 = 2 - 2 cos).
bench/bench_index.py measures speed, memory and recall against exact search.
"""
import math

import numpy as np

KINDS = ('flat', 'ivfpq', 'hnsw')
IVF_TRAINING_POINTS = 64  # a cell's k-means training points, at most


class IndexParameterError(ValueError):
    """Parameters that cannot build the index (the message names the option)."""


def pq_subquantizers(d):
    """The default m: d / 4 codes (a byte per four dimensions), rounded down to a divisor
    of d as product quantisation needs."""
    m = max(1, d // 4)
    while d % m:
        m -= 1
    return m


def default_parameters(kind, d, n):
    """The parameters of ``kind`` for ``n`` vectors of ``d`` dimensions."""
    if kind == 'flat':
        return {}
    if kind == 'ivfpq':
        # About 4 sqrt(n) cells (faiss's guideline), and at least 39 training points each.
        nlist = max(1, min(int(round(4 * math.sqrt(n))), n // 39))
        # A query visits 2 % of the cells, at least 16 (and at most all): at 1M vectors and
        # 4,000 cells, 16 found 83 % of the exact 10 nearest, 64 found 92 %; re-ranking
        # more candidates (k_factor 4 -> 16) changed nothing (bench/README.md).
        nprobe = min(nlist, max(16, int(math.ceil(nlist / 50))))
        return {'nlist': nlist, 'm': pq_subquantizers(d), 'nbits': 8, 'nprobe': nprobe,
                'k_factor': 4}
    if kind == 'hnsw':
        return {'M': 32, 'efConstruction': 40, 'efSearch': 64}
    raise IndexParameterError('--index %s: unknown; choose one of %s' % (kind, ', '.join(KINDS)))


def parameters(kind, d, n, **given):
    """The defaults of ``kind`` with the ``given`` ones (None: default) put in, checked."""
    params = default_parameters(kind, d, n)
    for key, value in given.items():
        if value is None:
            continue
        if key not in params:
            raise IndexParameterError('--%s does not apply to --index %s' % (option(key), kind))
        if value < 1:
            raise IndexParameterError('--%s must be at least 1, not %s' % (option(key), value))
        params[key] = int(value)
    if kind == 'ivfpq':
        # Each codebook has 2^nbits centroids, trained on the images themselves.
        if n < 2 ** params['nbits']:
            raise IndexParameterError('--index ivfpq with --nbits %d needs at least %d images '
                                      'to train its codebooks (there are %d); use --index '
                                      'flat' % (params['nbits'], 2 ** params['nbits'], n))
        if d % params['m']:
            raise IndexParameterError('--m %d must divide the embedding size %d'
                                      % (params['m'], d))
        if params['nlist'] > n:
            raise IndexParameterError('--nlist %d exceeds the %d images' % (params['nlist'], n))
    return params


def option(key):
    return {'efConstruction': 'ef-construction', 'efSearch': 'ef-search',
            'k_factor': 'k-factor', 'M': 'hnsw-m'}.get(key, key)


def factory_string(kind, params):
    if kind == 'flat':
        return 'Flat'
    if kind == 'ivfpq':
        return 'IVF%(nlist)d,PQ%(m)dx%(nbits)d,Refine(SQ8)' % params
    return 'HNSW%(M)d' % params


def prepare(vectors, metric):
    """float32, C-contiguous, L2-normalised for the cosine metric."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if metric == 'cosine':
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def build(kind, vectors, params):
    """A trained index of ``kind`` holding ``vectors`` (already prepared)."""
    import faiss
    d = vectors.shape[1]
    index = faiss.index_factory(d, factory_string(kind, params))
    if kind == 'hnsw':
        index.hnsw.efConstruction = params['efConstruction']
    if kind == 'ivfpq':
        # k-means of the cells on at most 64 points a cell (faiss's default, 256, trains
        # on every point of a million-image collection: 4x the time for the same recall).
        ivf = faiss.extract_index_ivf(faiss.downcast_index(index).base_index)
        ivf.cp.max_points_per_centroid = IVF_TRAINING_POINTS
    if not index.is_trained:
        index.train(vectors)
    index.add(vectors)
    set_search_parameters(index, kind, params)
    return index


def set_search_parameters(index, kind, params):
    """Set the search-time parameters on ``index`` (faiss keeps them in the index file too,
    but one that was built with other values is brought to ``params``)."""
    import faiss
    if kind == 'ivfpq':
        refine = faiss.downcast_index(index)  # IndexRefine around the IVF-PQ index
        refine.k_factor = params['k_factor']
        faiss.extract_index_ivf(refine.base_index).nprobe = params['nprobe']
    elif kind == 'hnsw':
        faiss.downcast_index(index).hnsw.efSearch = params['efSearch']


def to_distance(squared, metric):
    """The metric's distance from faiss's squared Euclidean one: Euclidean, or cosine
    distance 1 - cos on the normalised vectors."""
    squared = np.maximum(squared, 0)
    return squared / 2 if metric == 'cosine' else np.sqrt(squared)
