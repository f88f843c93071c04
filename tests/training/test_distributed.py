"""Several workers through MXNet's parameter-server kvstore, on loopback: a scheduler, a
server and two workers as local processes, each worker running a real training script."""
import os
import socket
import subprocess
import sys
import time

import mxnet as mx
import numpy as np
import pytest

from common.records import read_manifest, read_records
from common.training.distributed import ShardedBatches, check_kvstore
from script_runs import ROOT, small_folder


def test_kvstore_values_that_cannot_work_are_named(monkeypatch):
    with pytest.raises(ValueError, match='--kvstore dist_async: choose one of device, local'):
        check_kvstore('dist_async')
    for name in ('DMLC_ROLE', 'DMLC_PS_ROOT_URI'):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match='--kvstore dist_sync: DMLC_ROLE, DMLC_PS_ROOT_URI.* '
                                         'not set; start the scheduler'):
        check_kvstore('dist_sync')
    for name, value in (('DMLC_ROLE', 'server'), ('DMLC_PS_ROOT_URI', '127.0.0.1'),
                        ('DMLC_PS_ROOT_PORT', '9000'), ('DMLC_NUM_SERVER', '1'),
                        ('DMLC_NUM_WORKER', '2')):
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match='DMLC_ROLE is server; training scripts run as workers'):
        check_kvstore('dist_sync')
    try:
        import horovod.mxnet  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match='--kvstore horovod: horovod is not installed'):
            check_kvstore('horovod')


def test_workers_share_every_batch_in_contiguous_slices():
    batches = [list(range(10)), list(range(10, 17))]
    parts = [list(ShardedBatches(batches, rank, 3)) for rank in range(3)]
    for b, batch in enumerate(batches):
        assert sum((p[b] for p in parts), []) == batch
    assert [len(p[1]) for p in parts] == [3, 2, 2]
    with pytest.raises(ValueError, match='a batch of 2 images cannot be shared by 3 workers'):
        list(ShardedBatches([[1, 2]], 0, 3))


TWO_DEVICES = """
import sys
import mxnet as mx
import common.training.runner as script
from train_proxy import Proxy
script.get_contexts = lambda gpus: [mx.cpu(0), mx.cpu(1)]
Proxy().main(sys.argv[1:])
"""


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def proxy_argv(data, results, *extra):
    return ['--dataset', 'folder', '--data-path', str(data), '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--num-workers', '0', '--no-nmi',
            '--epochs', '1', '--batch-size', '4', '--lr', '1e-3', '--loss', 'nca',
            '--steps', '0', '--results-dir', str(results), '--save-model-prefix', 'model',
            '--seed', '5'] + [str(e) for e in extra]


def trained(path):
    """The trainable parameters of a saved network (BatchNorm's moving statistics are each
    device's own, as with several GPUs)."""
    return {k: v.asnumpy() for k, v in mx.nd.load(str(path)).items()
            if not k.endswith(('running_mean', 'running_var'))}


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize('batchnorm', [[], ['--frozen-bn']], ids=['bn-train', 'bn-frozen'])
def test_two_workers_on_loopback_train_as_one_process_with_two_devices(glyph_root, tmp_path,
                                                                       batchnorm):
    data = small_folder(glyph_root, tmp_path / 'data', classes=8, images=8)  # 32 training images
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', DMLC_PS_ROOT_URI='127.0.0.1',
               DMLC_PS_ROOT_PORT=str(free_port()), DMLC_NUM_SERVER='1', DMLC_NUM_WORKER='2',
               DMLC_NODE_HOST='127.0.0.1')
    results = tmp_path / 'dist'
    command = [sys.executable, 'train_proxy.py'] + proxy_argv(data, results, '--kvstore',
                                                              'dist_sync', *batchnorm)
    processes = []
    try:
        for role in ('scheduler', 'server'):
            processes.append(subprocess.Popen([sys.executable, '-c', 'import mxnet'], cwd=ROOT,
                                              env=dict(env, DMLC_ROLE=role),
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
        workers = [subprocess.Popen(command, cwd=ROOT, env=dict(env, DMLC_ROLE='worker'),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        processes += workers
        deadline = time.time() + 300
        errors = [w.communicate(timeout=max(1, deadline - time.time()))[1] for w in workers]
        assert [w.returncode for w in workers] == [0, 0], errors[0][-2000:] + errors[1][-2000:]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)

    manifests = [read_manifest(str(folder / 'train_proxy_nca.manifest.json'))
                 for folder in (results, results / 'worker1')]
    assert [m['workers'] for m in manifests] == [{'kind': 'dist', 'rank': r, 'count': 2}
                                                  for r in (0, 1)]
    # 32 training images, 4 per worker: an epoch is 4 steps of 8 images, each image seen once
    epochs = [read_records(str(f / 'train_proxy_nca.jsonl'), 'epoch')[-1]
              for f in (results, results / 'worker1')]
    assert [e['images'] for e in epochs] == [16, 16]
    assert epochs[0]['loss'] == epochs[1]['loss']  # the loss is the mean over the workers
    first, second = trained(results / 'model.params'), trained(results / 'worker1' /
                                                                'model.params')
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    if batchnorm:  # frozen: every worker's moving statistics are still the initial 0 and 1
        for path in (results / 'model.params', results / 'worker1' / 'model.params'):
            statistics = {k: v.asnumpy() for k, v in mx.nd.load(str(path)).items()
                          if k.endswith(('running_mean', 'running_var'))}
            assert len(statistics) == 8
            for name, value in statistics.items():
                assert (value == (0 if name.endswith('mean') else 1)).all(), name

    # The same command in one process with two devices (cpu(0), cpu(1)): the same batches
    # split the same way, the gradients summed the same way. One OpenMP thread, as the
    # workers had, so that the CPU sums run in the same order.
    single = tmp_path / 'single'
    subprocess.run([sys.executable, '-c', TWO_DEVICES] + proxy_argv(data, single, *batchnorm),
                   cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'), check=True,
                   capture_output=True, timeout=300)
    reference = trained(single / 'model.params')
    assert set(reference) == set(first)
    for name in first:
        np.testing.assert_allclose(first[name], reference[name], rtol=1e-4, atol=1e-5,
                                   err_msg=name)
    assert read_records(str(single / 'train_proxy_nca.jsonl'), 'epoch')[-1]['images'] == 32
