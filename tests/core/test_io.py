"""common.io: atomic writes, the read-back of MXNet files, and storage faults named in a line."""
import errno
import json
import os
import pathlib

import numpy as np
import pytest

from common.io import (
    OutputError,
    check_writable_dir,
    save_mxnet_file,
    storage_error_message,
    write_atomically,
    write_json_atomic,
)


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = str(tmp_path / 'f.txt')

    def write(text, fail=False):
        def to(tmp):
            with open(tmp, 'w') as f:
                f.write(text)
            if fail:
                raise RuntimeError('killed')
        return to
    write_atomically(path, write('old'))
    with pytest.raises(RuntimeError, match='killed'):
        write_atomically(path, write('half', fail=True), durable=False)
    assert open(path).read() == 'old'
    assert os.listdir(tmp_path) == ['f.txt']


def test_json_is_indented_ends_with_a_newline_and_takes_numpy_values(tmp_path):
    path = str(tmp_path / 'm.json')
    write_json_atomic(path, {'n': np.int64(3), 'x': np.float32(0.5), 'a': np.arange(2),
                             'other': pathlib.PurePosixPath('a/b')})
    text = open(path).read()
    assert text.endswith('}\n') and '\n "n": 3' in text
    assert json.loads(text) == {'n': 3, 'x': 0.5, 'a': [0, 1], 'other': 'a/b'}
    assert os.listdir(tmp_path) == ['m.json']


def test_only_storage_faults_get_a_message():
    assert storage_error_message(ValueError('bug')) is None
    assert storage_error_message(OSError(errno.ENOENT, 'No such file', 'x')) is None
    assert storage_error_message(OSError(errno.ENOSPC, 'No space left on device', 'r/x.jsonl'),
                                 option='--out') == (
        'cannot write r/x.jsonl (No space left on device): free space or choose another '
        '--out, then rerun the command with --resume')


@pytest.mark.parametrize('size', [10, 10 ** 6])
def test_a_full_disk_is_reported_and_the_previous_params_file_stays(tmp_path, size):
    """/dev/full: small writes vanish in MXNet's buffer without an error, large ones raise."""
    import mxnet as mx

    path = str(tmp_path / 'model.params')
    mx.nd.save(path, {'w': mx.nd.ones(3)})
    os.symlink('/dev/full', '%s.tmp%d' % (path, os.getpid()))
    with pytest.raises(OSError) as error:
        save_mxnet_file(path, lambda p: mx.nd.save(p, {'w': mx.nd.zeros(size)}))
    assert error.value.errno == errno.EIO and error.value.filename == path
    assert mx.nd.load(path)['w'].asnumpy().tolist() == [1, 1, 1]
    assert storage_error_message(error.value) == (
        'cannot write %s (incomplete write; is the disk full?): free space or choose another '
        '--results-dir, then rerun the command with --resume' % path)


def test_an_unwritable_results_folder_is_named(tmp_path):
    (tmp_path / 'file').write_text('')
    with pytest.raises(OutputError, match='--results-dir .*file/results is not writable .*; '
                                          'choose another folder'):
        check_writable_dir(str(tmp_path / 'file' / 'results'))
    check_writable_dir(str(tmp_path / 'new' / 'results'))
    assert os.listdir(tmp_path / 'new' / 'results') == []
