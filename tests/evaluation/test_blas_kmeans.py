import faiss
import numpy as np
import pytest

from common.evaluation import blas_kmeans
from common.evaluation.blas_kmeans import lloyd


def faiss_kmeans(x, k, seed=0, init=None, niter=20):
    km = faiss.Kmeans(x.shape[1], k, niter=niter, seed=seed, max_points_per_centroid=len(x),
                      min_points_per_centroid=1)
    inertia = km.train(x, init_centroids=init)
    return km.index.search(x, 1)[1].ravel(), inertia, km.centroids


def blobs_with_duplicates(seed, n, dim):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, dim).astype(np.float32)
    x[n // 2:n // 2 + n // 10] = x[:n // 10]  # exact copies: random starts on both leave
    return x                                  # a cluster empty, which faiss then splits


@pytest.mark.parametrize('n,dim,k', [(3000, 16, 60), (2000, 64, 300), (1500, 8, 200)])
def test_same_start_same_assignments_as_faiss_after_20_iterations(n, dim, k):
    x = blobs_with_duplicates(n, n, dim)
    start = x[np.random.RandomState(1).choice(n, k, replace=False)]
    want, _, want_centroids = faiss_kmeans(x, k, init=start)
    got, _, centroids = lloyd(x, k, niter=20, init_centroids=start)
    np.testing.assert_array_equal(got, want)
    # The means are summed in faiss's order and precision: equal to the bit.
    np.testing.assert_array_equal(centroids, want_centroids)


@pytest.mark.parametrize('seed', [0, 7])
def test_random_start_and_restart_inertia_as_faiss(seed):
    x = blobs_with_duplicates(seed, 2500, 12)
    want, want_inertia, _ = faiss_kmeans(x, 150, seed=seed)
    got, inertia, _ = lloyd(x, 150, niter=20, seed=seed)
    np.testing.assert_array_equal(got, want)
    assert inertia == pytest.approx(want_inertia, rel=1e-5)


def test_empty_clusters_are_split_as_faiss_splits_them(monkeypatch):
    # 9 distinct points and 20 clusters: every iteration leaves clusters empty.
    x = np.random.RandomState(2).randint(0, 3, size=(800, 2)).astype(np.float32)
    splits = []
    split = blas_kmeans.split_empty_clusters
    monkeypatch.setattr(blas_kmeans, 'split_empty_clusters',
                        lambda *a: splits.append(split(*a)) or splits[-1])
    want, _, want_centroids = faiss_kmeans(x, 20, seed=1)
    got, _, centroids = lloyd(x, 20, niter=20, seed=1)
    assert min(splits) > 0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(centroids, want_centroids)


def test_as_many_clusters_as_points_copies_the_points_as_faiss():
    x = np.random.RandomState(3).randn(30, 4).astype(np.float32)
    got, _, centroids = lloyd(x, 30)
    np.testing.assert_array_equal(centroids, x)
    np.testing.assert_array_equal(got, np.arange(30))


def test_assignment_blocks_do_not_change_the_result(monkeypatch):
    x = blobs_with_duplicates(4, 1000, 8)
    whole = lloyd(x, 40, seed=4)[0]
    monkeypatch.setattr(blas_kmeans, 'BLOCK_BYTES', 4 * 40 * 37)  # 37 rows per block
    np.testing.assert_array_equal(lloyd(x, 40, seed=4)[0], whole)


def test_nearest_centroid_breaks_ties_by_the_lowest_index():
    x = np.array([[0, 0], [1, 0]], np.float32)
    centroids = np.array([[2, 0], [-1, 0], [1, 0], [1, 0]], np.float32)
    assign, dist = blas_kmeans.nearest_centroid(x, centroids)
    assert assign.tolist() == [1, 2] and dist.tolist() == [1, 0]


def test_more_clusters_than_points_is_refused():
    with pytest.raises(ValueError, match='cannot make 5 clusters of 4 points'):
        lloyd(np.zeros((4, 2), np.float32), 5)
