"""Shared core of the DML toolkit: data, models, losses, evaluation, training.

Importing this package first does two things that must happen before MXNet
is imported: it refuses Python versions the pinned stack cannot run on, and
it gives MXNet's OpenMP pool every available core (MXNet 1.9 otherwise uses
one of two cores and trains 1.7-2.4x slower).
"""
import os
import sys

__version__ = '0.1.0'

if sys.version_info >= (3, 12) or sys.version_info < (3, 8):
    raise ImportError(
        'this toolkit needs Python 3.8-3.11 (found %d.%d): mxnet 1.9.1 needs numpy<1.24, '
        'which has no wheels for Python 3.12+ and imports distutils; create the virtual '
        'environment with python3.11' % sys.version_info[:2])


def _available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Respect an explicit user setting; only fill in what is missing.
os.environ.setdefault('OMP_NUM_THREADS', str(_available_cores()))
