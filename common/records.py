"""Run records: a human-readable log and machine-readable JSON lines, side by side.

For ``--logfile train_x.log --log-postfix p`` in ``--results-dir results``
the files are ``results/train_x_p.log`` and ``results/train_x_p.jsonl``.
Each JSON line is one record with a ``kind``: ``config`` (options,
versions, git commit), ``epoch``, ``run`` and ``summary``. Tables and plots
read these files; nothing else needs to be parsed.
"""
import itertools
import json
import logging
import os
import platform
import subprocess
import sys
import time

import numpy as np

_ids = itertools.count()


def with_postfix(filename, postfix):
    """``train_x.log`` + ``p`` -> ``train_x_p.log`` (only the file name's extension is split)."""
    if not postfix:
        return filename
    head, tail = os.path.split(filename)
    stem, ext = os.path.splitext(tail)
    return os.path.join(head, '%s_%s%s' % (stem, postfix, ext))


def disabled(value):
    return value is None or str(value).strip().lower() in ('', 'none')


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def git_commit(path):
    try:
        out = subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True,
                             text=True, timeout=5)
        # Changed code makes a run "+dirty"; logs being written to results/ do not.
        dirty = subprocess.run(['git', '-C', path, 'status', '--porcelain', '--untracked-files=no',
                                '--', '.', ':!results'],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (out.stdout.strip() + ('+dirty' if dirty else '')) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment():
    versions = {'python': platform.python_version()}
    for name in ('mxnet', 'numpy', 'faiss', 'gluoncv', 'sklearn'):
        module = sys.modules.get(name)
        versions[name] = getattr(module, '__version__', None) if module else None
    return {'versions': versions, 'host': platform.node(), 'platform': platform.platform(),
            'omp_num_threads': os.environ.get('OMP_NUM_THREADS'),
            'git': git_commit(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}


class Recorder:
    """Writes the human log (stderr and file) and the JSON-lines record of a script run."""

    def __init__(self, results_dir, logfile, postfix='', stream=sys.stderr):
        self.log_path = self.jsonl_path = None
        self.logger = logging.getLogger('dml.run%d' % next(_ids))
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        if stream is not None:
            handler = logging.StreamHandler(stream)
            handler.setFormatter(logging.Formatter('%(message)s'))
            self.logger.addHandler(handler)
        if not disabled(logfile):
            name = with_postfix(str(logfile), postfix)
            path = name if os.path.isabs(name) else os.path.join(results_dir, name)
            os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
            self.log_path = path
            self.jsonl_path = os.path.splitext(path)[0] + '.jsonl'
            handler = logging.FileHandler(path)
            handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
            self.logger.addHandler(handler)

    def info(self, message, *args):
        self.logger.info(message, *args)

    def write(self, kind, **fields):
        if self.jsonl_path is None:
            return
        record = dict(kind=kind, time=time.strftime('%Y-%m-%dT%H:%M:%S'), **fields)
        with open(self.jsonl_path, 'a') as f:
            f.write(json.dumps(record, default=_jsonable) + '\n')

    def close(self):
        for handler in list(self.logger.handlers):
            handler.close()
            self.logger.removeHandler(handler)


def read_records(path, kind=None):
    """The records of a JSON-lines file, optionally only those of one kind."""
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r for r in records if kind is None or r['kind'] == kind]
