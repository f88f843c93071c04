"""Full-batch k-means for NMI: scikit-learn's seeding, faiss's Lloyd iterations.

scikit-learn's recipe (greedy k-means++ seeding, 10 restarts, lowest
inertia kept) where it is affordable, and the Lloyd iterations in faiss on
every point (never mini-batches: they underestimate SOP's NMI badly):

* N*k*d <= 2e9 (CUB and Cars at any embedding size): greedy k-means++
  (``sklearn.cluster.kmeans_plusplus``), 10 restarts;
* larger (In-Shop, SOP): faiss's random start, one restart; greedy
  k-means++ over thousands of centres takes minutes there (12 min for SOP).

The Lloyd iterations run in faiss or, the same algorithm with the same draws,
as blocked SGEMM (:mod:`.blas_kmeans`); :mod:`.backend` chooses.

Random starts alone are not enough on small problems: on well-separated
classes they put two centroids in one class and none in another, and Lloyd
iterations cannot repair that.
"""
import numpy as np

from . import backend as backends
from .blas_kmeans import lloyd
from .knn import faiss, gpu_available

CHEAP = 2e9


def kmeans_assign(x, k, seed=0, niter=20, restarts=None, init=None, use_gpu=None,
                  backend='auto'):
    """Cluster id (0..k-1) of each row of ``x``; the restart with the lowest inertia wins.

    ``init`` is ``'k-means++'`` or ``'random'``; by default both it and the
    number of restarts follow the problem size as described above. ``backend``:
    'auto', 'faiss' or 'blas' (:mod:`.backend`).
    """
    backends.check(backend)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not 1 <= k <= len(x):
        raise ValueError('k-means: cannot make %d clusters of %d points' % (k, len(x)))
    cheap = float(len(x)) * k * x.shape[1] <= CHEAP
    restarts = restarts or (10 if cheap else 1)
    init = init or ('k-means++' if cheap else 'random')
    use_gpu = gpu_available() if use_gpu is None else use_gpu
    if backends.for_kmeans(backend, use_gpu) == 'blas':
        best = None
        for r in range(restarts):
            start = _kmeans_plusplus(x, k, seed + r) if init == 'k-means++' else None
            assignment, inertia, _ = lloyd(x, k, niter=niter, seed=seed + r,
                                           init_centroids=start)
            if best is None or inertia < best[0]:
                best = (inertia, assignment)
        return best[1]
    best = None
    for r in range(restarts):
        km = faiss.Kmeans(x.shape[1], k, niter=niter, seed=seed + r, verbose=False,
                          gpu=bool(use_gpu), max_points_per_centroid=len(x),
                          min_points_per_centroid=1)
        start = _kmeans_plusplus(x, k, seed + r) if init == 'k-means++' else None
        inertia = km.train(x, init_centroids=start)
        if best is None or inertia < best[0]:
            best = (inertia, km)
    _, assignment = best[1].index.search(x, 1)
    return assignment.ravel()


def _kmeans_plusplus(x, k, seed):
    from sklearn.cluster import kmeans_plusplus
    start, _ = kmeans_plusplus(x, k, random_state=seed)
    return start
