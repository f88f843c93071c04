"""Run records: a human-readable log, machine-readable JSON lines and a manifest.

For ``--logfile train_x.log --log-postfix p`` in ``--results-dir results``
the files are ``results/train_x_p.log``, ``results/train_x_p.jsonl`` and
``results/train_x_p.manifest.json``. Each JSON line is one record with a
``kind`` (``config``, ``epoch``, ``run``, ``summary``, ``error``, ``member``)
and the ``invocation`` it belongs to (a log may hold several invocations of
the same command, appended). The manifest describes the latest invocation:
configuration, command line, git revision, package versions, hardware,
dataset counts, seeds, model selection, status and summary. Reports, studies
and the benchmark read these files with :func:`read_manifest` and
:func:`read_records`; nothing else needs to be parsed.
"""
import itertools
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import time
import uuid
import warnings
from importlib import metadata

from .io import jsonable, write_json_atomic

MANIFEST_SUFFIX = '.manifest.json'
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


def git_commit(path):
    try:
        out = subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True,
                             text=True, timeout=5)
        # Changed code makes a run "+dirty"; records in results/ and documents do not.
        dirty = subprocess.run(['git', '-C', path, 'status', '--porcelain', '--untracked-files=no',
                                '--', '.', ':!results', ':!*.md'],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (out.stdout.strip() + ('+dirty' if dirty else '')) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


# Distributions whose versions change results; the first installed name of each entry counts
# (mxnet and faiss come as CPU or GPU builds under different names).
PACKAGES = {'mxnet': ('mxnet', 'mxnet-cu112', 'mxnet-cu117', 'mxnet-mkl'),
            'numpy': ('numpy',), 'gluoncv': ('gluoncv',),
            'faiss': ('faiss-cpu', 'faiss-gpu', 'faiss-gpu-cu11', 'faiss-gpu-cu12'),
            'scikit-learn': ('scikit-learn',), 'scipy': ('scipy',), 'opencv': (
                'opencv-python', 'opencv-python-headless'),
            'pandas': ('pandas',), 'matplotlib': ('matplotlib',)}


def package_versions():
    versions = {'python': platform.python_version()}
    for name, dists in PACKAGES.items():
        versions[name] = None
        for dist in dists:
            try:
                versions[name] = '%s==%s' % (dist, metadata.version(dist)) \
                    if dist != name else metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return versions


def _proc_value(path, key):
    """The value of the first ``key: value`` line of a /proc file, or None."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return None


def hardware():
    mx = sys.modules.get('mxnet')
    gpus = None
    if mx is not None:
        try:
            gpus = mx.context.num_gpus()
        except Exception:  # a CPU-only build may raise instead of returning 0
            gpus = 0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    memory = _proc_value('/proc/meminfo', 'MemTotal')  # "24576000 kB"
    return {'host': platform.node(), 'platform': platform.platform(),
            'cpu': _proc_value('/proc/cpuinfo', 'model name') or platform.processor() or None,
            'cores': cores, 'gpus': gpus,
            'memory_gb': round(int(memory.split()[0]) / 2 ** 20, 1) if memory else None,
            'omp_num_threads': os.environ.get('OMP_NUM_THREADS')}


def environment():
    return {'versions': package_versions(), 'hardware': hardware(),
            'git': git_commit(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}


def new_invocation_id():
    return '%s-%s' % (time.strftime('%Y%m%dT%H%M%S'), uuid.uuid4().hex[:6])


def command_line(argv):
    """The shell command that reruns ``argv`` (script path first)."""
    return 'python ' + shlex.join([str(a) for a in argv])


def _end_with_newline(path):
    """A line torn by a killed process must not swallow the next record appended."""
    if os.path.exists(path) and os.path.getsize(path):
        with open(path, 'rb+') as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b'\n':
                f.write(b'\n')


class Recorder:
    """Writes the human log (stderr and file) and the JSON-lines record of a script run."""

    def __init__(self, results_dir, logfile, postfix='', stream=sys.stderr, invocation=None):
        self.log_path = self.jsonl_path = self.manifest_path = None
        self.invocation = invocation or new_invocation_id()
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
            self.manifest_path = os.path.splitext(path)[0] + MANIFEST_SUFFIX
            _end_with_newline(self.jsonl_path)
            handler = logging.FileHandler(path)
            handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
            self.logger.addHandler(handler)

    def info(self, message, *args):
        self.logger.info(message, *args)

    def write(self, kind, **fields):
        if self.jsonl_path is None:
            return
        record = dict(kind=kind, invocation=self.invocation,
                      time=time.strftime('%Y-%m-%dT%H:%M:%S'), **fields)
        with open(self.jsonl_path, 'a') as f:
            f.write(json.dumps(record, default=jsonable) + '\n')

    def write_manifest(self, manifest):
        """(Re)write the manifest of this invocation."""
        if self.manifest_path is None:
            return
        self._keep_earlier_manifest()
        files = {'log': self.log_path, 'jsonl': self.jsonl_path, 'manifest': self.manifest_path}
        manifest = dict(manifest, invocation=self.invocation,
                        files={k: os.path.basename(v) for k, v in files.items()})
        write_json_atomic(self.manifest_path, manifest)

    def _keep_earlier_manifest(self):
        """An earlier invocation of the same command keeps its manifest, renamed
        ``<stem>.<its invocation>.manifest.json`` (its records stay in the shared jsonl)."""
        try:
            earlier = read_manifest(self.manifest_path)['invocation']
        except ValueError:  # none yet, or not a manifest of an invocation
            return
        if earlier and earlier != self.invocation:
            stem = self.manifest_path[:-len(MANIFEST_SUFFIX)]
            os.replace(self.manifest_path, '%s.%s%s' % (stem, earlier, MANIFEST_SUFFIX))

    def close(self):
        for handler in list(self.logger.handlers):
            handler.close()
            self.logger.removeHandler(handler)


def read_manifest(path, required=('invocation',)):
    """The manifest at ``path``, a JSON object with the ``required`` keys set (the Recorder
    writes the invocation, the training scripts the script too); otherwise a ValueError of
    one line that names the file."""
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError('%s: unreadable manifest (%s)' % (path, e)) from None
    if not isinstance(manifest, dict):
        raise ValueError('%s: not a run manifest (not a JSON object)' % path)
    missing = [k for k in required if not manifest.get(k)]
    if missing:
        raise ValueError('%s: not a run manifest (no %s)' % (path, ', '.join(missing)))
    return manifest


def jsonl_path(manifest_path, manifest):
    """The records file of a manifest: named in it, relative to the manifest's folder."""
    name = (manifest.get('files') or {}).get('jsonl')
    if not name:  # same stem as the manifest
        name = os.path.basename(manifest_path)[:-len(MANIFEST_SUFFIX)] + '.jsonl'
    return os.path.join(os.path.dirname(manifest_path), name)


def read_records(path, kind=None, invocation=None):
    """The records of a JSON-lines file, optionally only those of one kind or invocation.

    A line torn by a killed process (its record is written again on resume) is skipped with
    a warning; an unreadable file is a ValueError of one line that names it."""
    records = []
    try:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    warnings.warn('%s line %d: not JSON (a write cut short?); skipped'
                                  % (path, number))
                    continue
                # Lines without an invocation predate invocation ids: no invocation has them.
                if (kind is None or record.get('kind') == kind) and (
                        invocation is None or record.get('invocation') == invocation):
                    records.append(record)
    except OSError as e:
        raise ValueError('%s: unreadable run records (%s)' % (path, e)) from None
    return records
