import pytest

from common.evaluation.row_threads import RowThreads, thread_count


def test_threads_follow_omp_num_threads(monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    assert thread_count() == 2
    monkeypatch.setenv('OMP_NUM_THREADS', 'x')
    assert thread_count() == 1
    monkeypatch.delenv('OMP_NUM_THREADS')
    assert thread_count() == 1


def test_every_row_once_in_as_many_threads_as_allowed(monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '3')
    seen = []

    def fn(first, last):
        seen.append((first, last))
    with RowThreads() as rows:
        assert rows.count == 3
        rows.run(fn, 10)
        assert sorted(seen) == [(0, 3), (3, 6), (6, 10)]
        del seen[:]
        rows.run(fn, 2)  # fewer rows than threads: no empty slices
        assert sorted(seen) == [(0, 1), (1, 2)]


def test_an_error_in_a_thread_reaches_the_caller(monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '2')

    def fn(first, last):
        if first:
            raise RuntimeError('row %d' % first)
    with RowThreads() as rows, pytest.raises(RuntimeError, match='row 5'):
        rows.run(fn, 10)
