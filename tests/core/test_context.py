import mxnet as mx
import pytest

from common import context
from common.context import get_contexts, seed_everything


def test_cpu_contexts_without_gpus():
    if mx.context.num_gpus():
        pytest.skip('this machine has GPUs')
    assert get_contexts('-1') == [mx.cpu()]
    assert get_contexts('-2') == [mx.cpu()]
    with pytest.raises(ValueError, match='--gpus 0: .*use --gpus -2 for the CPU'):
        get_contexts('0')


def test_a_cpu_only_build_is_named(monkeypatch):
    monkeypatch.setattr(context, 'cuda_build', lambda: False)
    with pytest.raises(ValueError, match='--gpus 0: this MXNet build has no GPU support; '
                                         'install a CUDA build'):
        get_contexts('0')


def test_a_gpu_that_does_not_exist_is_named(monkeypatch):
    monkeypatch.setattr(context, 'cuda_build', lambda: True)
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 2)
    with pytest.raises(ValueError, match='--gpus 0,3: GPU 3 does not exist, this machine has 2 '
                                         r'GPU\(s\) visible to MXNet \(ids 0-1\)'):
        get_contexts('0,3')
    assert get_contexts('1') == [mx.gpu(1)]
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 0)
    with pytest.raises(ValueError, match='MXNet sees no GPU on this machine'):
        get_contexts('0')


def test_bad_gpu_lists():
    with pytest.raises(ValueError, match="--gpus 'a,b'"):
        get_contexts('a,b')
    with pytest.raises(ValueError, match='must be >= 0'):
        get_contexts('-3')


def test_seeding_repeats_random_draws():
    seed_everything(7)
    a = mx.nd.random.uniform(shape=4).asnumpy()
    seed_everything(7)
    assert (a == mx.nd.random.uniform(shape=4).asnumpy()).all()
