"""Writing files safely: atomically, synced to disk, and with one-line reports of storage faults.

A file is written under a temporary name beside its target and renamed over it
only when complete, so that a reader (or a crash) never sees half a file and a
failed write leaves the previous file alone. The storage faults (a full disk, a
read-only or forbidden folder) are told apart from bugs, so that a long run can
end with a line that says what to free or choose instead of a traceback.
"""
import errno
import json
import os

import numpy as np


class OutputError(ValueError):
    """An output folder that cannot be written."""


# errno values that mean "the disk or folder cannot take this file", not a bug.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                            errno.EIO, errno.EFBIG})


def storage_error_message(error, option='--results-dir'):
    """One line for an OSError from writing a file, or None when it is not a storage fault."""
    if not isinstance(error, OSError) or error.errno not in STORAGE_ERRNOS:
        return None
    return 'cannot write %s (%s): free space or choose another %s, then rerun the command ' \
           'with --resume' % (error.filename or 'a file', error.strerror or error, option)


def check_writable_dir(path, option='--results-dir'):
    """Create ``path`` if needed and prove a file can be written in it (before hours of
    training whose records would then be lost)."""
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, '.write-test-%d' % os.getpid())
        with open(probe, 'w') as f:
            f.write('ok')
        os.remove(probe)
    except OSError as e:
        raise OutputError('%s %s is not writable (%s); choose another folder'
                          % (option, path, e.strerror or e))


def jsonable(value):
    """``json.dump``'s ``default``: numpy scalars and arrays as numbers and lists, else str."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_atomically(path, write, durable=True):
    """``write(temporary path)``, then rename it to ``path``: a reader (or a crash) never
    sees half a file, and a failed write leaves the previous file alone. ``durable``
    syncs the file to disk first, so that a full disk is reported here, not lost."""
    tmp = '%s.tmp%d' % (path, os.getpid())
    try:
        write(tmp)
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_mxnet_file(path, save):
    """``save(temporary path)`` writes an MXNet ``.params`` file, which is read back before
    it replaces ``path``: MXNet's writer does not notice a full disk when the data fits its
    buffer, and the file is then silently cut short."""
    def write(tmp):
        import mxnet as mx
        try:
            save(tmp)
            mx.nd.load(tmp)
        except mx.base.MXNetError as e:  # MXNet reports write failures without an errno
            raise OSError(errno.EIO, 'incomplete write; is the disk full?', path) from e
    write_atomically(path, write)


def write_json_atomic(path, obj):
    """``obj`` as indented JSON (numpy values as numbers), written atomically."""
    def write(tmp):
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1, default=jsonable)
            f.write('\n')
            f.flush()
            os.fsync(f.fileno())
    write_atomically(path, write)
