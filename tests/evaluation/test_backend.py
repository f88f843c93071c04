import pytest

from common.evaluation import backend


def test_auto_picks_gpu_faiss_when_present_up_to_its_k_limit():
    assert backend.for_knn('auto', 2048, use_gpu=True) == 'faiss-gpu'
    assert backend.for_knn('auto', 2049, use_gpu=True) == backend.for_knn('auto', 2049, False)
    assert backend.for_kmeans('auto', use_gpu=True) == 'faiss-gpu'


def test_auto_on_the_cpu_is_blas_as_measured():
    assert backend.for_kmeans('auto', use_gpu=False) == 'blas'
    assert backend.for_knn('auto', 1, False) == backend.for_knn('auto', 1001, False) == 'blas'


def test_the_knn_crossover_moves_with_its_constant(monkeypatch):
    monkeypatch.setattr(backend, 'BLAS_KNN_MIN_K', 64)
    assert backend.for_knn('auto', 63, False) == 'faiss'
    assert backend.for_knn('auto', 64, False) == 'blas'


def test_a_forced_backend_is_kept():
    assert backend.for_knn('faiss', 1001, use_gpu=False) == 'faiss'
    assert backend.for_knn('blas', 1, use_gpu=True) == 'blas'
    assert backend.for_kmeans('faiss', use_gpu=False) == 'faiss'
    assert backend.for_kmeans('blas', use_gpu=True) == 'blas'


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(ValueError, match="one of auto/faiss/blas, not 'sklearn'"):
        backend.for_knn('sklearn', 10, False)
