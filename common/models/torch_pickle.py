"""Read a PyTorch ``state_dict`` file into numpy arrays, without PyTorch and without trusting it.

A ``.pth`` file is a pickle, and unpickling can run any Python callable the
file names. The unpickler here resolves only the handful of names a state dict
of plain tensors needs (an ``OrderedDict``, the tensor rebuild functions, the
storage classes), each to a function of ours that builds numpy arrays; any
other name is refused before anything is called.

Two layouts exist:

* legacy (torch < 1.6, and ``_use_new_zipfile_serialization=False``): five
  pickles in a row (magic number, protocol version, system info, the state
  dict, the list of storage keys), then each storage's raw bytes in key order,
  each preceded by its element count as an 8-byte little-endian integer;
* zip (torch >= 1.6): ``<archive>/data.pkl`` plus one raw file per storage,
  ``<archive>/data/<key>``.
"""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001

# Storage class name -> numpy dtype of its elements ('bfloat16' is widened to float32).
_STORAGE_DTYPES = {
    'FloatStorage': np.float32, 'DoubleStorage': np.float64, 'HalfStorage': np.float16,
    'BFloat16Storage': 'bfloat16', 'LongStorage': np.int64, 'IntStorage': np.int32,
    'ShortStorage': np.int16, 'CharStorage': np.int8, 'ByteStorage': np.uint8,
    'BoolStorage': np.bool_,
}


class TorchPickleError(ValueError):
    """The file is not a readable PyTorch state dict of tensors."""


class UnsafePickleError(TorchPickleError):
    """The pickle names a global outside the allow-list."""


class _StorageType(str):
    """Stands for ``torch.<X>Storage``; its value is X's name.

    Immutable (a ``str`` without ``__dict__``), so a pickle's BUILD opcode cannot
    alter the shared allow-list entries.
    """
    __slots__ = ()

    @property
    def dtype(self):
        return _STORAGE_DTYPES[self]

    @property
    def itemsize(self):
        return 2 if self.dtype == 'bfloat16' else np.dtype(self.dtype).itemsize


class _Storage:
    """A storage named by the pickle; its bytes are filled in once they are read."""

    def __init__(self, key, storage_type, numel):
        self.key = key
        self.type = storage_type
        self.numel = numel
        self.array = None  # 1-d numpy array, set by the reader

    def view(self, offset, numel):
        return _StorageView(self, offset, numel)


class _StorageView:
    """A legacy storage view: ``numel`` elements of ``base`` from element ``offset``."""

    def __init__(self, base, offset, numel):
        self.base, self.offset, self.numel = base, offset, numel


class _Tensor:
    """A tensor whose storage bytes may come later in the file (legacy layout)."""

    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride


def _is_int_tuple(value):
    return isinstance(value, tuple) and all(type(v) is int for v in value)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *unused):
    # unused: requires_grad, backward hooks, metadata
    if not isinstance(storage, (_Storage, _StorageView)):
        raise TorchPickleError('a tensor is built on %s, not on a storage' % type(storage).__name__)
    if not (type(storage_offset) is int and _is_int_tuple(size) and _is_int_tuple(stride)):
        raise TorchPickleError('a tensor has a non-integer offset, size or stride')
    return _Tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *unused):
    # unused: requires_grad, backward hooks
    if not isinstance(data, _Tensor):
        raise TorchPickleError('a parameter wraps %s, not a tensor' % type(data).__name__)
    return data


_ALLOWED = {
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor_v2,
    ('torch._utils', '_rebuild_parameter'): _rebuild_parameter,
}
_ALLOWED.update({('torch', name): _StorageType(name) for name in _STORAGE_DTYPES})


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only allow-listed globals; records the storages the pickle refers to."""

    def __init__(self, stream, path):
        super().__init__(stream)
        self.path = path
        self.storages = {}  # key -> _Storage, in order of first appearance

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except (KeyError, TypeError):
            raise UnsafePickleError(
                '%s: refusing to load %s.%s: a weights file must contain only tensors (it may be '
                'malicious or not a PyTorch state dict)' % (self.path, module, name)) from None

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, numel[, legacy view metadata])
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == 'storage'
                and type(pid[1]) is _StorageType and type(pid[4]) is int and pid[4] >= 0):
            raise TorchPickleError('unexpected persistent id %.80r' % (pid,))
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, storage_type, numel)
        view = pid[5] if len(pid) == 6 else None
        if view is None:
            return storage
        view_key, offset, view_numel = view  # legacy views of one storage share its key
        if not _is_int_tuple((offset, view_numel)):
            raise TorchPickleError('a storage view has a non-integer offset or size')
        return self.storages.setdefault(str(view_key), storage.view(offset, view_numel))


def _unpickle(stream, path):
    unpickler = _RestrictedUnpickler(stream, path)
    try:
        return unpickler.load(), unpickler.storages
    except UnsafePickleError:
        raise
    except TorchPickleError as e:  # raised by our rebuild functions, which lack the path
        raise TorchPickleError('%s: %s' % (path, e)) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, struct.error) as e:
        raise TorchPickleError('%s: cannot read it as a PyTorch pickle (%s: %s); is the file '
                               'truncated or not a .pth?' % (path, type(e).__name__, e)) from e


def _as_array(raw, storage_type, numel):
    if storage_type.dtype == 'bfloat16':  # the upper half of a float32
        return (np.frombuffer(raw, '<u2', numel).astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, np.dtype(storage_type.dtype).newbyteorder('<'), numel)


def _read_exactly(stream, nbytes, path, what):
    left = os.fstat(stream.fileno()).st_size - stream.tell()
    if nbytes > left:  # checked first: read() would allocate nbytes, however large
        raise TorchPickleError('%s: the file ends inside %s (%d of %d bytes); it is truncated, '
                               'copy or download it again' % (path, what, left, nbytes))
    return stream.read(nbytes)


def _read_legacy_storages(stream, storages, path):
    keys, _ = _unpickle(stream, path)
    if not isinstance(keys, list) or set(map(str, keys)) - set(storages):
        raise TorchPickleError('%s: the storage key list does not match the tensors' % path)
    for key in map(str, keys):
        storage = storages[key]
        if not isinstance(storage, _Storage):
            raise TorchPickleError('%s: the storage key list names a view, %s' % (path, key))
        count, = struct.unpack('<q', _read_exactly(stream, 8, path, 'a storage header'))
        if count != storage.numel:
            raise TorchPickleError('%s: storage %s holds %d elements, the tensors say %d'
                                   % (path, key, count, storage.numel))
        raw = _read_exactly(stream, count * storage.type.itemsize, path, 'storage ' + key)
        storage.array = _as_array(raw, storage.type, count)


def _load_legacy(stream, path):
    magic, _ = _unpickle(stream, path)
    if magic != LEGACY_MAGIC:
        raise TorchPickleError('%s: not a PyTorch file (no legacy magic number, not a zip)' % path)
    protocol, _ = _unpickle(stream, path)
    if protocol != LEGACY_PROTOCOL:
        raise TorchPickleError('%s: unsupported PyTorch protocol %r' % (path, protocol))
    sys_info, _ = _unpickle(stream, path)
    if not (isinstance(sys_info, dict) and sys_info.get('little_endian', True)):
        raise TorchPickleError('%s: written on a big-endian machine; not supported' % path)
    obj, storages = _unpickle(stream, path)
    _read_legacy_storages(stream, storages, path)
    return obj


def _load_zip(archive, path):
    names = archive.namelist()
    pickles = [n for n in names if n.endswith('/data.pkl') or n == 'data.pkl']
    if len(pickles) != 1:
        raise TorchPickleError('%s: a zip without exactly one data.pkl is not a PyTorch file'
                               % path)
    prefix = pickles[0][:-len('data.pkl')]
    if prefix + 'byteorder' in names and archive.read(prefix + 'byteorder') != b'little':
        raise TorchPickleError('%s: written on a big-endian machine; not supported' % path)
    obj, storages = _unpickle(io.BytesIO(archive.read(pickles[0])), path)
    for key, storage in storages.items():
        if not isinstance(storage, _Storage):
            continue
        member = prefix + 'data/' + key
        if member not in names:
            raise TorchPickleError('%s: storage %s is missing from the archive' % (path, member))
        raw = archive.read(member)
        nbytes = storage.numel * storage.type.itemsize
        if len(raw) < nbytes:
            raise TorchPickleError('%s: storage %s has %d bytes, the tensors need %d'
                                   % (path, member, len(raw), nbytes))
        storage.array = _as_array(raw[:nbytes], storage.type, storage.numel)
    return obj


def _materialise(tensor, path, name):
    """A contiguous copy of the tensor's elements, after checking they lie inside its storage."""
    storage, offset = tensor.storage, tensor.offset
    if isinstance(storage, _StorageView):
        storage, offset = storage.base, offset + storage.offset
    shape, stride, data = tensor.shape, tensor.stride, storage.array
    if data is None:
        raise TorchPickleError('%s: the bytes of storage %s (tensor %s) are not in the file'
                               % (path, storage.key, name))
    if len(shape) != len(stride) or any(s < 0 for s in shape + stride) or offset < 0:
        raise TorchPickleError('%s: tensor %s has a bad shape/stride %s/%s'
                               % (path, name, shape, stride))
    if 0 in shape:
        return np.zeros(shape, data.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(shape, stride))
    if last >= data.size:  # as_strided would read outside the buffer
        raise TorchPickleError('%s: tensor %s reaches element %d of a %d-element storage'
                               % (path, name, last, data.size))
    view = np.lib.stride_tricks.as_strided(
        data[offset:], shape, [s * data.itemsize for s in stride], writeable=False)
    return np.ascontiguousarray(view).astype(data.dtype.newbyteorder('='), copy=False)


def _state_dict(obj, path):
    if isinstance(obj, dict) and isinstance(obj.get('state_dict'), dict):
        obj = obj['state_dict']  # a training checkpoint that wraps the weights
    if not isinstance(obj, dict):
        raise TorchPickleError('%s: holds a %s, not a state dict (a mapping name -> tensor)'
                               % (path, type(obj).__name__))
    out = {}
    for name, value in obj.items():
        if not isinstance(value, _Tensor):
            raise TorchPickleError('%s: entry %r is a %s, not a tensor; save model.state_dict()'
                                   % (path, name, type(value).__name__))
        out[str(name)] = _materialise(value, path, name)
    return out


def load_torch_state_dict(path):
    """``{name: numpy array}`` of a PyTorch state dict file (legacy or zip layout).

    Raises ``UnsafePickleError`` if the pickle names anything but tensors, and
    ``TorchPickleError`` for any other unreadable content.
    """
    with open(path, 'rb') as stream:
        if zipfile.is_zipfile(stream):
            stream.seek(0)
            with zipfile.ZipFile(stream) as archive:
                obj = _load_zip(archive, path)
        else:
            stream.seek(0)
            obj = _load_legacy(stream, path)
    return _state_dict(obj, path)
