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


def test_the_products_and_the_passes_take_the_same_thread_count_from_the_user():
    # numpy's OpenBLAS reads OMP_NUM_THREADS when it loads, as RowThreads does per call.
    import os
    import subprocess
    import sys
    code = ('import common, numpy, threadpoolctl\n'
            'from common.evaluation.row_threads import thread_count\n'
            'blas = [i["num_threads"] for i in threadpoolctl.threadpool_info()\n'
            '        if i["internal_api"] == "openblas"]\n'
            'print(sorted(set(blas)), thread_count())')
    env = dict(os.environ, OMP_NUM_THREADS='2')
    env.pop('OPENBLAS_NUM_THREADS', None)
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.split() == ['[2]', '2'], out.stderr
