import mxnet as mx
import pytest

from common.context import get_contexts, seed_everything


def test_cpu_contexts_without_gpus():
    if mx.context.num_gpus():
        pytest.skip('this machine has GPUs')
    assert get_contexts('-1') == [mx.cpu()]
    assert get_contexts('-2') == [mx.cpu()]
    with pytest.raises(ValueError, match='--gpus 0: this machine has 0 GPU'):
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
