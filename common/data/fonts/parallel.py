"""Tasks spread over processes that share one read-only job description."""
from .drawing import forget_fonts

job = {}  # what every task of one run_tasks call shares, set once per process


def _init_job(shared):
    job.clear()
    job.update(shared)


def run_tasks(func, items, processes, **shared):
    """``[func(item) for item in items]`` in ``processes`` processes; ``func`` reads
    ``shared`` from :data:`job`."""
    if processes <= 1 or len(items) < 2:
        _init_job(shared)
        try:
            return [func(item) for item in items]
        finally:
            forget_fonts()  # workers exit; this process should not keep every face open
    import multiprocessing
    # spawn, not fork: the caller may already run MXNet's threads.
    ctx = multiprocessing.get_context('spawn')
    chunk = max(1, len(items) // (processes * 16))
    with ctx.Pool(processes, _init_job, (shared,)) as pool:
        return list(pool.imap(func, items, chunksize=chunk))
