"""Which implementation runs k-NN and k-means: faiss or numpy's BLAS.

``backend='faiss'`` or ``'blas'`` forces one; ``'auto'`` applies this rule,
measured on this project's 2-core machine (faiss-cpu 1.7.4, numpy 1.23.5's
OpenBLAS; `bench/README.md`, section 1, "Backend rule"):

* a visible GPU with GPU faiss: faiss (its GPU search caps k at 2048, so larger
  k-NN searches go by the CPU rule);
* on the CPU, BLAS for both. ``bench_evaluation.py --crossover``
  (`bench/results/evaluation_backends.md`, taken on a busy machine) put the BLAS
  k-NN at 0.26-0.88x faiss's time from k = 8 to 1,001 on 6,000 and 20,000 points
  at 64 and 512-d, but for one draw (k = 8, 6,000 x 64-d: 0.51 s against 0.47 s);
  k-means (same algorithm, same draws) at 0.29-0.94x, and 0.33-0.41x at SOP scale.
  faiss's small heaps are cheap at small k, but its distance pass is no faster
  than the product here. BLAS_KNN_MIN_K keeps the k-NN crossover one constant
  away should another machine measure one.
"""
BACKENDS = ('auto', 'faiss', 'blas')
BLAS_KNN_MIN_K = 1  # CPU k-NN searches with at least this many neighbours go to BLAS
GPU_KNN_MAX_K = 2048  # faiss's GPU k-selection limit


def check(backend):
    if backend not in BACKENDS:
        raise ValueError('evaluation backend must be one of %s, not %r'
                         % ('/'.join(BACKENDS), backend))
    return backend


def for_knn(backend, k, use_gpu):
    """'faiss', 'faiss-gpu' or 'blas' for an exact search with k results."""
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
