"""faiss's Lloyd k-means with the assignment step as blocked SGEMM through numpy's BLAS.

faiss.Kmeans spends its time in a nearest-centroid search that runs far below
the machine's SGEMM rate (``bench/results/evaluation.md``). This is the same
algorithm as ``faiss.Clustering.train`` (faiss 1.7.4, no subsampling), step by step:

* start: the given centroids, or faiss's random rows (:mod:`.faiss_random`);
* each of ``niter`` iterations: assign every point to its nearest centroid
  (squared L2, lowest centroid index on ties), record the objective, set each
  centroid to the mean of its points summed in point order in float32 as faiss
  does, then split empty clusters exactly as faiss's ``split_clusters``;
* the returned inertia is the last iteration's objective, as ``Kmeans.train``'s,
  summed one by one in float32 as faiss does (restarts are chosen by it).

Only the rounding of the distances differs (another GEMM, cn - 2 x.c summed
inside the product instead of faiss's xn + cn - 2 x.c), so assignments can
differ from faiss's only where two centroids are equally near up to float32
rounding. numpy's BLAS, not MXNet's ``dot``: on a 4,096 x 11,316 product it was
1.15x (512-d) and 1.45x (64-d) faster here (`bench/README.md`); it takes its threads
from OMP_NUM_THREADS, which importing ``common`` sets.
"""
import numpy as np
import scipy.sparse

from .faiss_random import RandomGenerator, random_init
from .row_threads import RowThreads

# One block of point x centroid scores. Measured at SOP scale (60,502 x 11,316), under
# load: 16 MB blocks ran the assignment 1.7x faster than 64 MB at 64-d (the scores are
# read back while still in cache); at 512-d 16 MB beat 4 MB (25 s against 39 s), whose
# thin products run below the BLAS rate.
BLOCK_BYTES = 16 << 20
SPLIT_EPS = 1 / 1024.  # faiss's perturbation of split centroids


def nearest_centroid(x, centroids, x_sqnorms=None):
    """(index of the nearest centroid, squared distance to it) of each row of ``x``.

    The points carry an extra column of ones and the centroids [-2c, |c|^2], so one
    product gives |c|^2 - 2 x.c with no pass over the block to add |c|^2."""
    if x_sqnorms is None:
        x_sqnorms = np.einsum('ij,ij->i', x, x)
    c_sqnorms = np.einsum('ij,ij->i', centroids, centroids)
    # -2c is exact in float32: a power of two only shifts exponents.
    c_aug = np.ascontiguousarray(np.hstack([-2 * centroids, c_sqnorms[:, None]]))
    rows = max(1, BLOCK_BYTES // (4 * len(centroids)))
    assign = np.empty(len(x), dtype=np.int64)
    dist = np.empty(len(x), dtype=np.float32)
    ones = np.ones((min(rows, len(x)), 1), np.float32)
    with RowThreads() as threads:
        for start in range(0, len(x), rows):
            block = x[start:start + rows]
            scores = np.hstack([block, ones[:len(block)]]) @ c_aug.T

            def nearest(first, last, scores=scores, start=start):
                best = np.argmin(scores[first:last], axis=1)  # lowest index on ties, as faiss
                assign[start + first:start + last] = best
                dist[start + first:start + last] = np.maximum(
                    scores[np.arange(first, last), best] + x_sqnorms[start + first:start + last],
                    0)
            threads.run(nearest, len(block))
    return assign, dist


def centroid_means(x, assign, k):
    """(means, counts) of the points of each cluster; empty clusters get zeros.

    A sparse one-hot product sums each cluster's points in point order in float32,
    the order faiss's ``compute_centroids`` adds them in, and scales by the float32
    reciprocal of the count as it does."""
    n = len(x)
    onehot = scipy.sparse.csr_matrix((np.ones(n, np.float32), (assign, np.arange(n))),
                                     shape=(k, n))
    sums = np.asarray(onehot @ x, dtype=np.float32)
    counts = np.bincount(assign, minlength=k).astype(np.float32)
    with np.errstate(divide='ignore'):
        scale = np.where(counts > 0, np.float32(1) / counts, np.float32(0))
    return sums * scale[:, None].astype(np.float32), counts


def split_empty_clusters(centroids, counts, n):
    """faiss's ``split_clusters``: each empty cluster takes a copy of a cluster drawn
    with probability (count - 1) / (n - k), scanning clusters cyclically from 0 with a
    generator seeded 1234 on every call; both copies are nudged apart by 1/1024."""
    k = len(centroids)
    empty = np.flatnonzero(counts == 0)
    if not len(empty):
        return 0
    rng = RandomGenerator(1234)
    denominator = np.float64(np.float32(n - k))
    even = np.arange(centroids.shape[1]) % 2 == 0
    # float64 factors as in C++ (EPS is a double): one rounding of the exact product.
    grow = np.where(even, 1 + SPLIT_EPS, 1 - SPLIT_EPS)
    shrink = np.where(even, 1 - SPLIT_EPS, 1 + SPLIT_EPS)
    chunk = max(4 * k, 1024)
    pending = rng.floats(chunk)
    for ci in empty.tolist():
        # faiss draws one float per cluster visited until one is picked; draws are
        # vectorised in chunks, the stream position kept exactly.
        p = ((counts.astype(np.float64) - 1.0) / denominator).astype(np.float32)
        offset = 0
        while True:
            if len(pending) < chunk:
                pending = np.concatenate([pending, rng.floats(chunk)])
            steps = np.arange(offset, offset + len(pending))
            picked = np.flatnonzero(pending < p[steps % k])
            if len(picked):
                t = int(picked[0])
                cj = int(steps[t] % k)
                pending = pending[t + 1:]
                break
            offset += len(pending)
            pending = pending[:0]
        centroids[ci] = centroids[cj]
        centroids[ci] *= grow
        centroids[cj] *= shrink
        counts[ci] = counts[cj] / 2
        counts[cj] -= counts[ci]
    return len(empty)


def lloyd(x, k, niter=20, seed=0, init_centroids=None):
    """(assignment to the final centroids, inertia, centroids) of faiss's k-means on ``x``.

    ``init_centroids`` (k x d) replaces faiss's random start, as ``Kmeans.train``'s."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError('k-means: cannot make %d clusters of %d points' % (k, n))
    if n == k:  # faiss's corner case: the points are the centroids, no iteration
        centroids, niter = x.copy(), 0
    elif init_centroids is not None:
        centroids = np.array(init_centroids, dtype=np.float32).reshape(k, x.shape[1])
    else:
        centroids = random_init(x, k, seed)
    x_sqnorms = np.einsum('ij,ij->i', x, x)
    inertia = 0.0
    for _ in range(niter):
        assign, dist = nearest_centroid(x, centroids, x_sqnorms)
        # faiss adds the distances one by one into a float; cumsum is sequential too.
        inertia = float(np.cumsum(dist, dtype=np.float32)[-1])
        centroids, counts = centroid_means(x, assign, k)
        split_empty_clusters(centroids, counts, n)
    assign, _ = nearest_centroid(x, centroids, x_sqnorms)
    return assign, inertia, centroids
