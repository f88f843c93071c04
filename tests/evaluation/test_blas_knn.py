import numpy as np

from common.evaluation import blas_knn as module
from common.evaluation.knn import exact_knn
from references import retrieval as ref


def search(queries, gallery=None, k=10):
    return exact_knn(queries, gallery, k, backend='blas')


def test_integer_data_with_ties_everywhere_ranks_as_the_float64_reference():
    x = np.random.RandomState(0).randint(0, 3, size=(150, 3)).astype(np.float32)
    for k in (1, 7, 60, 149):  # up to every other item
        idx, dist = search(x, k=k)
        assert idx.tolist() == [r[:k] for r in ref.rankings(x)]
        want = ((x[idx] - x[:, None]) ** 2).sum(-1)
        np.testing.assert_array_equal(dist, want)


def test_same_results_as_faiss_where_distances_are_exact():
    x = np.random.RandomState(1).randint(-4, 5, size=(400, 5)).astype(np.float32)
    for k in (5, 100):
        want = exact_knn(x, k=k, backend='faiss')
        got = search(x, k=k)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_self_is_excluded_by_index_among_exact_duplicates():
    idx, dist = search(np.ones((40, 3), np.float32), k=6)
    assert idx.tolist() == [[i for i in range(40) if i != q][:6] for q in range(40)]
    assert (dist == 0).all()


def test_query_copies_in_a_separate_gallery_are_retrieved():
    rng = np.random.RandomState(2)
    q = rng.randint(0, 4, size=(60, 4)).astype(np.float32)
    g = rng.randint(0, 4, size=(90, 4)).astype(np.float32)
    g[:10] = q[:10]
    idx, _ = search(q, g, k=20)
    assert idx.tolist() == [r[:20] for r in ref.rankings(q, g)]
    assert all(i in idx[i] for i in range(10))


def test_blocks_threads_and_the_exact_threshold_fallback_change_nothing(monkeypatch):
    x = np.random.RandomState(3).randint(0, 3, size=(300, 4)).astype(np.float32)
    whole = search(x, k=50)
    monkeypatch.setattr(module, 'BLOCK_ELEMENTS', 300 * 7)  # products of 7 query rows
    monkeypatch.setattr(module, 'SELECT_ELEMENTS', 300 * 2)  # selected 2 rows at a time
    monkeypatch.setenv('OMP_NUM_THREADS', '3')  # rows of a block shared by 3 threads
    monkeypatch.setattr(module, 'SLACK', 0.05)  # estimate too low: every row falls back
    fallbacks = []
    partition = np.partition
    monkeypatch.setattr(module.np, 'partition',
                        lambda a, kth, axis: fallbacks.append(kth) or partition(a, kth, axis))
    got = search(x, k=50)
    assert 49 in fallbacks  # the exact k-th group minimum was taken
    np.testing.assert_array_equal(got[0], whole[0])
    np.testing.assert_array_equal(got[1], whole[1])


def test_near_zero_distances_count_as_zero_and_tie_by_index():
    # A point and its copies: rounding makes |q|^2 + |g|^2 - 2 q.g slightly off zero
    # (of either sign); faiss clamps negatives to 0, and so does this search.
    x = np.random.RandomState(4).randn(50, 33).astype(np.float32) * 10
    x[10:20] = x[0]
    idx, dist = search(x, k=9)
    assert idx[0].tolist() == list(range(10, 19))
    assert (dist[0] >= 0).all() and not np.signbit(dist).any()
