import numpy as np
import pytest

from common.evaluation import evaluate, exact_knn, kmeans_assign, map_at_r, nmi
from references import retrieval as ref

KS = (1, 2, 4, 8, 16)


def with_duplicates(rng, n, dim, classes):
    x = rng.randn(n, dim).astype(np.float32)
    y = rng.randint(0, classes, n)
    # Exact copies, some with the same label and some with another label.
    x[n // 2:n // 2 + 20] = x[:20]
    y[n // 2:n // 2 + 10] = y[:10]
    return x, y


def oracle(x, y, gx=None, gy=None, ks=KS):
    ranked = ref.rankings(x, gx)
    gy = y if gy is None else gy
    out = {'R@%d' % k: ref.recall_at_k(ranked, y, gy, k) for k in ks}
    out['MAP@R'] = ref.map_at_r(ranked, y, gy)
    return out


def assert_metrics_equal(got, want):
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


def test_random_data_with_duplicates_matches_brute_force():
    x, y = with_duplicates(np.random.RandomState(0), 240, 6, 12)
    got = evaluate(x, y, recall_ks=KS, compute_nmi=False)
    assert_metrics_equal(got, oracle(x, y))


def test_integer_data_with_many_ties_matches_brute_force():
    # Small integer coordinates: distances are exact in float32 and ties are everywhere.
    rng = np.random.RandomState(1)
    x = rng.randint(0, 3, size=(200, 3)).astype(np.float32)
    y = rng.randint(0, 7, 200)
    got = evaluate(x, y, recall_ks=KS, compute_nmi=False, block_size=37)
    assert_metrics_equal(got, oracle(x, y))


def test_neighbour_order_breaks_ties_by_index():
    rng = np.random.RandomState(2)
    x = rng.randint(0, 2, size=(120, 2)).astype(np.float32)
    idx, dist = exact_knn(x, k=10, block_size=50)
    ranked = ref.rankings(x)
    assert idx.tolist() == [r[:10] for r in ranked]
    assert (np.diff(dist, axis=1) >= 0).all()


def test_self_is_excluded_by_index_even_among_many_duplicates():
    x = np.zeros((30, 4), dtype=np.float32)
    idx, _ = exact_knn(x, k=5)
    for q in range(30):
        assert q not in idx[q]
        assert idx[q].tolist() == [i for i in range(30) if i != q][:5]


def test_query_gallery_mode_matches_brute_force():
    rng = np.random.RandomState(3)
    q, qy = rng.randn(90, 5).astype(np.float32), rng.randint(0, 10, 90)
    g, gy = rng.randn(140, 5).astype(np.float32), rng.randint(0, 12, 140)
    g[:15] = q[:15]  # a query's exact copy in the gallery must be retrieved, not excluded
    got = evaluate(q, qy, recall_ks=(1, 5, 10), gallery_embeddings=g, gallery_labels=gy,
                   compute_nmi=True)
    assert_metrics_equal(got, oracle(q, qy, g, gy, ks=(1, 5, 10)))
    assert 0 <= got['NMI'] <= 100


def test_separated_clusters_score_perfectly():
    rng = np.random.RandomState(4)
    centres = rng.randn(8, 16) * 100
    y = np.repeat(np.arange(8), 12)
    x = (centres[y] + rng.randn(len(y), 16) * 0.01).astype(np.float32)
    got = evaluate(x, y, recall_ks=(1, 2, 4))
    assert got['R@1'] == got['R@4'] == 100.0
    assert got['MAP@R'] == pytest.approx(100.0)
    assert got['NMI'] == pytest.approx(100.0)


def test_metrics_do_not_depend_on_dataset_order():
    x, y = with_duplicates(np.random.RandomState(5), 200, 8, 9)
    x = x + np.random.RandomState(6).randn(*x.shape).astype(np.float32) * 1e-3  # no exact ties
    perm = np.random.RandomState(7).permutation(len(x))
    a = evaluate(x, y, compute_nmi=False)
    b = evaluate(x[perm], y[perm], compute_nmi=False)
    assert_metrics_equal(b, a)


def test_lone_queries_count_as_recall_misses_and_are_left_out_of_map():
    x = np.array([[0.0], [0.1], [5.0], [9.0]], dtype=np.float32)
    y = np.array([0, 0, 1, 2])
    from common.evaluation import EvaluationWarning
    with pytest.warns(EvaluationWarning, match='2 of 4 queries have no other item'):
        got = evaluate(x, y, recall_ks=(1, 3), compute_nmi=False)
    assert got['R@1'] == 50.0 and got['R@3'] == 50.0
    assert got['MAP@R'] == 100.0


def test_map_at_r_hand_computed():
    # Query with R=3: relevant at ranks 1 and 3 -> (1/1 + 2/3) / 3.
    hits = np.array([[True, False, True, True]])
    assert map_at_r(hits, [3]) == pytest.approx(100 * (1 + 2 / 3) / 3)


def test_nmi_matches_the_definition():
    rng = np.random.RandomState(8)
    labels, clusters = rng.randint(0, 6, 300), rng.randint(0, 4, 300)
    assert nmi(labels, clusters) == pytest.approx(ref.nmi_geometric(labels, clusters))


def test_kmeans_is_deterministic_under_a_seed():
    x = np.random.RandomState(9).randn(400, 8).astype(np.float32)
    assert (kmeans_assign(x, 10, seed=3) == kmeans_assign(x, 10, seed=3)).all()


def test_cosine_metric_normalises_first():
    rng = np.random.RandomState(10)
    x, y = rng.randn(100, 4).astype(np.float32), rng.randint(0, 5, 100)
    scaled = x * rng.uniform(0.1, 10, size=(100, 1)).astype(np.float32)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert_metrics_equal(evaluate(scaled, y, metric='cosine', compute_nmi=False),
                         oracle(unit, y, ks=(1, 2, 4, 8, 16, 32)))


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_non_finite_embeddings_are_rejected(bad):
    x = np.zeros((10, 3), dtype=np.float32)
    x[4, 1] = bad
    with pytest.raises(ValueError, match='NaN or infinity'):
        evaluate(x, np.arange(10) % 2)


def test_recall_k_larger_than_the_gallery_is_capped():
    x = np.random.RandomState(11).randn(10, 3).astype(np.float32)
    got = evaluate(x, np.arange(10) % 3, recall_ks=(1, 32), compute_nmi=False)
    assert got['R@32'] == 100.0


def test_nmi_agrees_with_scikit_learn_kmeans_on_overlapping_blobs():
    # The playground's NMI came from sklearn KMeans (k-means++, 10 restarts): stay comparable.
    from sklearn.cluster import KMeans
    rng = np.random.RandomState(12)
    y = np.repeat(np.arange(20), 30)
    x = (rng.randn(20, 16)[y] * 2 + rng.randn(len(y), 16)).astype(np.float32)
    ours = evaluate(x, y, recall_ks=(1,), compute_map_at_r=False)['NMI']
    sk = KMeans(20, n_init=10, random_state=0).fit_predict(x)
    assert abs(ours - nmi(y, sk)) < 1.5


def evaluated(x, y, **options):
    """(metrics, the EvaluationWarning messages) of ``evaluate``."""
    import warnings

    from common.evaluation import EvaluationWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        metrics = evaluate(x, y, recall_ks=(1, 2), **options)
    return metrics, [str(w.message) for w in caught if w.category is EvaluationWarning]


def test_collapsed_embeddings_say_that_kmeans_found_one_cluster():
    metrics, notes = evaluated(np.ones((40, 8), np.float32), np.repeat(np.arange(10), 4))
    assert metrics['NMI'] == 0.0
    assert notes == ['k-means found 1 of 10 clusters (the embeddings hold 1 distinct points); '
                     'NMI measures that clustering']


def test_a_single_class_or_one_item_per_class_gives_nan_and_says_why():
    x = np.random.RandomState(0).randn(40, 8).astype(np.float32)
    metrics, notes = evaluated(x, np.zeros(40, int))
    assert np.isnan(metrics['NMI']) and metrics['R@1'] == 100.0
    assert notes == ['NMI is undefined with a single class (NaN)']
    metrics, notes = evaluated(x, np.arange(40))
    assert all(np.isnan(v) for v in metrics.values())
    assert notes == ['no query has another item of its class to find: Recall@K and MAP@R are '
                     'undefined (NaN)', 'NMI is undefined with one item per class (NaN)']


def test_queries_without_a_match_are_counted_and_named():
    x = np.random.RandomState(0).randn(40, 8).astype(np.float32)
    y = np.repeat(np.arange(10), 4)
    y[:3] = [100, 101, 102]
    metrics, notes = evaluated(x, y)
    assert notes == ['4 of 40 queries have no other item of their class; they count as misses '
                     'in Recall@K and are left out of MAP@R']
    assert 0 <= metrics['R@1'] <= 100 * 36 / 40


def test_a_kmeans_failure_is_nan_with_the_reason(monkeypatch):
    import common.evaluation as evaluation

    def broken(*args, **kwargs):
        raise RuntimeError('Error in faiss: out of memory')
    monkeypatch.setattr(evaluation, 'kmeans_assign', broken)
    x = np.random.RandomState(0).randn(40, 8).astype(np.float32)
    metrics, notes = evaluated(x, np.repeat(np.arange(10), 4))
    assert np.isnan(metrics['NMI']) and metrics['R@1'] >= 0
    assert notes == ['k-means failed, NMI is NaN: Error in faiss: out of memory']


def test_gpu_faiss_is_used_when_present_except_beyond_its_k_limit(monkeypatch):
    """No GPU here: faiss's GPU cloning is replaced by a recorder that keeps the CPU index."""
    from common.evaluation import knn
    cloned = []

    def to_all_gpus(index):
        cloned.append(index.ntotal)
        return index
    monkeypatch.setattr(knn.faiss, 'index_cpu_to_all_gpus', to_all_gpus, raising=False)
    x = np.random.RandomState(0).randn(3000, 4).astype(np.float32)
    small, _ = exact_knn(x, k=10, use_gpu=True)
    assert cloned == [0]  # cloned before the gallery is added
    # faiss GPU search stops at k = 2048: beyond, faiss on the CPU (or, auto, BLAS).
    large, _ = exact_knn(x, k=2100, use_gpu=True, backend='faiss')
    exact_knn(x, k=2100, use_gpu=True)
    assert cloned == [0]
    np.testing.assert_array_equal(large[:, :10], small)
    monkeypatch.setattr(knn.faiss, 'get_num_gpus', lambda: 0)
    assert not knn.gpu_available()


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_both_backends_give_identical_metrics_on_data_with_ties_and_duplicates(seed):
    rng = np.random.RandomState(seed)
    x, y = with_duplicates(rng, 300, 5, 15)
    x[200:260] = np.round(x[200:260])  # integer points: exact distance ties
    ks = (1, 2, 4, 8, 16, 100)
    faiss_side = evaluate(x, y, recall_ks=ks, backend='faiss')
    blas_side = evaluate(x, y, recall_ks=ks, backend='blas')
    assert blas_side == faiss_side  # NMI too: same k-means, same assignments
    assert_metrics_equal(blas_side, oracle(x, y, ks=ks))


def test_both_backends_agree_with_a_separate_gallery():
    rng = np.random.RandomState(3)
    q, qy = rng.randint(0, 3, (80, 3)).astype(np.float32), rng.randint(0, 6, 80)
    g, gy = rng.randint(0, 3, (120, 3)).astype(np.float32), rng.randint(0, 6, 120)
    options = dict(recall_ks=(1, 10, 50), gallery_embeddings=g, gallery_labels=gy)
    assert evaluate(q, qy, backend='blas', **options) == evaluate(q, qy, backend='faiss',
                                                                   **options)


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="not 'gpu'"):
        evaluate(np.zeros((4, 2), np.float32), [0, 0, 1, 1], backend='gpu')
