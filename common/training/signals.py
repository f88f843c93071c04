"""SIGTERM unwinds a training process like ^C, so its records say "interrupted"."""
import contextlib
import os
import signal


def terminate_as_interrupt(pid):
    """A SIGTERM handler for process ``pid``: there it unwinds like ^C. Data-loader workers
    forked from it inherit the handler, and their pool stops them with SIGTERM: they must
    then die at once, as SIGTERM means (raising inside a worker can leave the pool waiting
    for it forever)."""
    def handler(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt('SIGTERM')
    handler.default_in_children = True
    return handler


def _default_sigterm_after_fork():
    """A forked worker gets SIGTERM's default action back: a Python handler runs only in
    the main thread, and a worker blocked there on its task queue while MXNet's threads
    take the signal would never run it (seen: a pool waiting forever to join its workers)."""
    if getattr(signal.getsignal(signal.SIGTERM), 'default_in_children', False):
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:  # not the main thread; the handler's pid check still applies
            pass


os.register_at_fork(after_in_child=_default_sigterm_after_fork)


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within the block a polite kill (a scheduler's SIGTERM) raises KeyboardInterrupt in
    this process; the previous handler comes back afterwards (main() may be called from
    other code)."""
    previous = signal.signal(signal.SIGTERM, terminate_as_interrupt(os.getpid()))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
