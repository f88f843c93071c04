"""Full-batch k-means for NMI: k-means++ seeding and faiss Lloyd iterations.

The playground clustered with scikit-learn's KMeans (k-means++ seeding, 10
restarts, lowest inertia kept) and, above 1,000 classes, MiniBatchKMeans,
which underestimates SOP's NMI badly. We follow scikit-learn's recipe where
it is cheap and scale it down where it is not, always on every point:

* N*k*d <= 2e9 (CUB, Cars at any embedding size): k-means++, 10 restarts;
* N*k*d <= 6e10 (In-Shop): k-means++, 1 restart;
* larger (SOP): faiss's random start, 1 restart (k-means++ seeding of
  11k centroids alone would take minutes).

Random starts alone are not enough: on well-separated classes they often put
two centroids in one class and none in another, and Lloyd iterations cannot
repair that.
"""
import numpy as np

from .knn import faiss, gpu_available

CHEAP = 2e9
SEEDABLE = 6e10


def kmeans_plus_plus(x, k, rng):
    """k-means++ seeding (Arthur & Vassilvitskii 2007): D^2-weighted sampling, one trial."""
    n = len(x)
    sq = np.einsum('ij,ij->i', x, x)
    centers = np.empty((k, x.shape[1]), dtype=np.float32)
    first = rng.integers(n)
    centers[0] = x[first]
    d2 = np.maximum(sq - 2 * (x @ x[first]) + sq[first], 0)
    for c in range(1, k):
        total = d2.sum()
        pick = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
        centers[c] = x[pick]
        np.minimum(d2, np.maximum(sq - 2 * (x @ x[pick]) + sq[pick], 0), out=d2)
    return centers


def kmeans_assign(x, k, seed=0, niter=20, restarts=None, init=None, use_gpu=None):
    """Cluster id (0..k-1) of each row of ``x``; the restart with the lowest inertia wins."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not 1 <= k <= len(x):
        raise ValueError('k-means: cannot make %d clusters of %d points' % (k, len(x)))
    cost = float(len(x)) * k * x.shape[1]
    restarts = restarts or (10 if cost <= CHEAP else 1)
    init = init or ('k-means++' if cost <= SEEDABLE else 'random')
    use_gpu = gpu_available() if use_gpu is None else use_gpu
    rng = np.random.default_rng(seed)
    best = None
    for r in range(restarts):
        km = faiss.Kmeans(x.shape[1], k, niter=niter, seed=seed + r, verbose=False,
                          gpu=bool(use_gpu), max_points_per_centroid=len(x),
                          min_points_per_centroid=1)
        start = kmeans_plus_plus(x, k, rng) if init == 'k-means++' else None
        inertia = km.train(x, init_centroids=start)
        if best is None or inertia < best[0]:
            best = (inertia, km)
    _, assignment = best[1].index.search(x, 1)
    return assignment.ravel()
