"""Which implementation runs k-NN and k-means: faiss or numpy's BLAS.

``backend='faiss'`` or ``'blas'`` forces one; ``'auto'`` applies the rule below,
measured with ``bench/bench_evaluation.py`` and the crossover runs recorded in
``bench/README.md`` (2 cores, faiss-cpu 1.7.4, numpy 1.23.5's OpenBLAS):

* a visible GPU with GPU faiss: faiss (its GPU search caps k at 2048, so larger
  k-NN searches go by the CPU rule);
* k-means on the CPU: BLAS. Same algorithm and draws as faiss's; it took
  0.06-0.5x faiss's time at every size measured (6k-60k points, 64-512-d,
  98-11,316 centroids), since faiss's nearest-centroid search runs far below
  the SGEMM rate;
* k-NN on the CPU: BLAS from k = BLAS_KNN_MIN_K neighbours on; below, faiss's
  small heaps cost little and it is as fast or faster.
"""
BACKENDS = ('auto', 'faiss', 'blas')
BLAS_KNN_MIN_K = 128
GPU_KNN_MAX_K = 2048  # faiss's GPU k-selection limit


def check(backend):
    if backend not in BACKENDS:
        raise ValueError('evaluation backend must be one of %s, not %r'
                         % ('/'.join(BACKENDS), backend))
    return backend


def for_knn(backend, k, use_gpu):
    """'faiss', 'faiss-gpu' or 'blas' for an exact search with k results (+ look-ahead)."""
    if check(backend) == 'auto':
        if use_gpu and k <= GPU_KNN_MAX_K:
            return 'faiss-gpu'
        return 'blas' if k >= BLAS_KNN_MIN_K else 'faiss'
    if backend == 'faiss':
        return 'faiss-gpu' if use_gpu and k <= GPU_KNN_MAX_K else 'faiss'
    return 'blas'


def for_kmeans(backend, use_gpu):
    """'faiss', 'faiss-gpu' or 'blas' for the Lloyd iterations."""
    if check(backend) == 'auto':
        return 'faiss-gpu' if use_gpu else 'blas'
    if backend == 'faiss':
        return 'faiss-gpu' if use_gpu else 'faiss'
    return 'blas'
