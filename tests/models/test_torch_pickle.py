"""The restricted PyTorch state dict reader, on files written here opcode by opcode (no torch)."""
import pickle
import struct
import zipfile

import numpy as np
import pytest

from common.models.torch_pickle import (
    LEGACY_MAGIC,
    LEGACY_PROTOCOL,
    TorchPickleError,
    UnsafePickleError,
    load_torch_state_dict,
)


def _value(v):
    """Pickle opcodes pushing a plain value (no globals): a pickle without PROTO and STOP."""
    return pickle.dumps(v, protocol=2)[2:-1]


def _global(module, name):
    return b'c' + ('%s\n%s\n' % (module, name)).encode()


def _call(func, *args):
    return func + b'(' + b''.join(args) + b'tR'


def _tensor(key, storage_type, numel, offset, shape, stride, view=None):
    pid = b'(' + b''.join([_value('storage'), _global('torch', storage_type), _value(key),
                           _value('cpu'), _value(numel), _value(view)]) + b't'
    return _call(_global('torch._utils', '_rebuild_tensor_v2'), pid + b'Q', _value(offset),
                 _value(shape), _value(stride), _value(False),
                 _call(_global('collections', 'OrderedDict')))


def _state_dict(entries):
    """``entries``: name -> opcodes of a tensor; an OrderedDict as ``torch.save`` writes it."""
    items = b''.join(_value(name) + tensor for name, tensor in entries.items())
    return b'\x80\x02' + _call(_global('collections', 'OrderedDict')) + b'(' + items + b'u.'


def _legacy_file(path, main, storages):
    """A legacy ``.pth``: header pickles, ``main`` (a pickle), keys, then the raw storages."""
    header = [LEGACY_MAGIC, LEGACY_PROTOCOL,
              {'protocol_version': LEGACY_PROTOCOL, 'little_endian': True,
               'type_sizes': {'short': 2, 'int': 4, 'long': 4}}]
    with open(path, 'wb') as f:
        for value in header:
            f.write(pickle.dumps(value, protocol=2))
        f.write(main)
        f.write(pickle.dumps(list(storages), protocol=2))
        for array in storages.values():
            f.write(struct.pack('<q', array.size) + array.tobytes())
    return str(path)


STORE = {'a': np.arange(12, dtype=np.float32), 'b': np.array([7, -3], np.int64)}
EXPECTED = {
    'full': np.arange(12, dtype=np.float32).reshape(3, 4),
    'transposed': np.arange(12, dtype=np.float32).reshape(3, 4).T,  # non-contiguous
    'offset': np.arange(12, dtype=np.float32)[5:11:3],  # offset and stride
    'long': np.array([7, -3], np.int64),
    'scalar': np.array(7, np.int64),
}


def _entries():
    return {'full': _tensor('a', 'FloatStorage', 12, 0, (3, 4), (4, 1)),
            'transposed': _tensor('a', 'FloatStorage', 12, 0, (4, 3), (1, 4)),
            'offset': _tensor('a', 'FloatStorage', 12, 5, (2,), (3,)),
            'long': _tensor('b', 'LongStorage', 2, 0, (2,), (1,)),
            'scalar': _tensor('b', 'LongStorage', 2, 0, (), ())}


def _check(state):
    assert list(state) == list(EXPECTED)
    for name, want in EXPECTED.items():
        assert state[name].dtype == want.dtype and state[name].flags.c_contiguous
        np.testing.assert_array_equal(state[name], want)


def test_legacy_round_trip_with_views(tmp_path):
    _check(load_torch_state_dict(_legacy_file(tmp_path / 'w.pth', _state_dict(_entries()),
                                              STORE)))


def test_zip_round_trip(tmp_path):
    path = str(tmp_path / 'w.pth')
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('w/data.pkl', _state_dict(_entries()))
        archive.writestr('w/byteorder', 'little')
        for key, array in STORE.items():
            archive.writestr('w/data/' + key, array.tobytes())
    _check(load_torch_state_dict(path))


def test_legacy_storage_view_and_bfloat16(tmp_path):
    values = np.array([1.5, -2.0, 3.25, 0.0], np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype(np.uint16)
    entries = {'view': _tensor('a', 'FloatStorage', 12, 1, (2,), (1,), view=('a_view', 4, 6)),
               'bf16': _tensor('c', 'BFloat16Storage', 4, 0, (4,), (1,))}
    state = load_torch_state_dict(_legacy_file(
        tmp_path / 'w.pth', _state_dict(entries), {'a': STORE['a'], 'c': bf16}))
    np.testing.assert_array_equal(state['view'], [5, 6])
    np.testing.assert_array_equal(state['bf16'], values)


@pytest.mark.parametrize('module,name', [('os', 'system'), ('builtins', 'eval'),
                                         ('subprocess', 'Popen')])
def test_code_in_the_pickle_is_refused_not_run(tmp_path, module, name):
    marker = tmp_path / 'pwned'
    command = {'system': 'touch %s' % marker, 'Popen': ['touch', str(marker)],
               'eval': "open(%r, 'w')" % str(marker)}[name]
    evil = b'\x80\x02' + _call(_global(module, name), _value(command)) + b'.'
    path = _legacy_file(tmp_path / 'evil.pth', evil, {})
    message = ('%s: refusing to load %s.%s: a weights file must contain only tensors (it may be '
               'malicious or not a PyTorch state dict)' % (path, module, name))
    with pytest.raises(UnsafePickleError) as error:
        load_torch_state_dict(path)
    assert str(error.value) == message
    assert not marker.exists()


def test_refused_in_the_header_and_in_a_zip(tmp_path):
    marker = tmp_path / 'pwned'
    evil = b'\x80\x02' + _call(_global('os', 'system'), _value('touch %s' % marker)) + b'.'
    header_path = tmp_path / 'header.pth'
    header_path.write_bytes(evil)  # where the magic number should be
    zip_path = str(tmp_path / 'evil.zip.pth')
    with zipfile.ZipFile(zip_path, 'w') as archive:
        archive.writestr('evil/data.pkl', evil)
    for path in (str(header_path), zip_path):
        with pytest.raises(UnsafePickleError, match='refusing to load os.system'):
            load_torch_state_dict(path)
    assert not marker.exists()


def test_torch_classes_outside_the_allow_list_are_refused(tmp_path):
    main = _state_dict({'m': _call(_global('torch.nn', 'Linear'), _value(2), _value(2))})
    with pytest.raises(UnsafePickleError, match='refusing to load torch.nn.Linear'):
        load_torch_state_dict(_legacy_file(tmp_path / 'w.pth', main, {}))


@pytest.mark.parametrize('cut', [10, 20, 200, 600])
def test_truncated_file_names_the_file(tmp_path, cut):
    path = _legacy_file(tmp_path / 'w.pth', _state_dict(_entries()), STORE)
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) - cut])
    with pytest.raises(TorchPickleError, match=r'%s: .*truncated' % path):
        load_torch_state_dict(path)


def test_out_of_bounds_tensor_is_refused(tmp_path):
    main = _state_dict({'x': _tensor('a', 'FloatStorage', 12, 4, (3, 4), (4, 1))})
    with pytest.raises(TorchPickleError, match='x reaches element 15 of a 12-element storage'):
        load_torch_state_dict(_legacy_file(tmp_path / 'w.pth', main, {'a': STORE['a']}))


def test_not_a_weights_file(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('hello')
    with pytest.raises(TorchPickleError, match='notes.pth: cannot read it as a PyTorch pickle'):
        load_torch_state_dict(str(path))
    with pytest.raises(TorchPickleError, match='holds a list, not a state dict'):
        load_torch_state_dict(_legacy_file(tmp_path / 'list.pth', pickle.dumps([1]), {}))


def test_a_pickle_cannot_alter_the_allow_list(tmp_path):
    for state in ({'dtype': 'O'}, (None, {'dtype': 'O'})):  # BUILD with a dict, then slot state
        evil = b'\x80\x02' + _global('torch', 'FloatStorage') + _value(state) + b'b.'
        with pytest.raises(TorchPickleError, match='cannot read it as a PyTorch pickle'):
            load_torch_state_dict(_legacy_file(tmp_path / 'evil.pth', evil, {}))
    test_legacy_round_trip_with_views(tmp_path)
