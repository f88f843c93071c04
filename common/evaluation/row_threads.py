"""Share the rows of a block among OMP_NUM_THREADS threads.

BLAS runs the products on every core OMP_NUM_THREADS allows (importing
``common`` sets it to the available cores), but numpy's element-wise passes
and selections after each product run on one core. They release the GIL, so
splitting a block's rows among threads brings the other cores back.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def thread_count():
    """OMP_NUM_THREADS, else 1."""
    try:
        return max(1, int(os.environ.get('OMP_NUM_THREADS', '1')))
    except ValueError:
        return 1


class RowThreads:
    """``with RowThreads() as rows: rows.run(fn, n)`` calls fn(first, last) on slices of
    range(n), one per thread, and waits for all (re-raising the first error)."""

    def __enter__(self):
        self.count = thread_count()
        self.pool = ThreadPoolExecutor(self.count) if self.count > 1 else None
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown()

    def run(self, fn, n):
        cuts = np.linspace(0, n, self.count + 1).astype(int)
        spans = [(a, b) for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()) if b > a]
        if self.pool is None or len(spans) < 2:
            for a, b in spans:
                fn(a, b)
            return
        for job in [self.pool.submit(fn, a, b) for a, b in spans]:
            job.result()
