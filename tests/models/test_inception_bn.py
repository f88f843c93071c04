"""Inception-BN loads MXNet model-zoo weights by name and computes the zoo's features."""
import mxnet as mx
import numpy as np
import pytest

from common.models import PretrainedWeightsError, get_backbone
from common.models.inception_bn import InceptionBN, zoo_parameter_name


@pytest.fixture(scope='module')
def zoo_weights(inception_symbol, tmp_path_factory):
    """Random weights with the zoo's names and shapes, inferred from the real symbol file."""
    sym = mx.sym.load(inception_symbol)
    arg_shapes, _, aux_shapes = sym.infer_shape(data=(1, 3, 224, 224))
    rng = np.random.RandomState(0)
    params = {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name in ('data', 'softmax_label'):
            continue
        gamma = name.endswith('gamma')
        value = rng.uniform(0.5, 1.5, shape) if gamma else rng.normal(0, 0.05, shape)
        params['arg:' + name] = mx.nd.array(value)
    for name, shape in zip(sym.list_auxiliary_states(), aux_shapes):
        value = rng.uniform(0.5, 1.5, shape) if 'var' in name else rng.normal(0, 0.1, shape)
        params['aux:' + name] = mx.nd.array(value)
    path = str(tmp_path_factory.mktemp('zoo') / 'Inception-BN-0126.params')
    mx.nd.save(path, params)
    return sym, params, path


def test_every_parameter_maps_to_the_zoo_file(zoo_weights):
    _, params, _ = zoo_weights
    net = InceptionBN()
    names = [n[len(net.prefix):] for n in net.collect_params().keys()]
    keys = {zoo_parameter_name(n) for n in names}
    assert len(names) == len(keys) == 414
    assert keys <= set(params)
    assert set(params) - keys == {'arg:fc1_weight', 'arg:fc1_bias'}  # the classifier only


def test_loaded_network_reproduces_the_zoo_symbol(zoo_weights):
    sym, params, path = zoo_weights
    net, spec = get_backbone('inception-bn', weights=path)
    assert spec.std is None and spec.feature_dim == 1024
    x = mx.nd.array(np.random.RandomState(1).normal(0, 50, (2, 3, 224, 224)))
    reference = mx.gluon.SymbolBlock(sym.get_internals()['flatten_output'],
                                     mx.sym.var('data', dtype='float32'))
    for name, param in reference.collect_params().items():
        key = ('aux:' if 'moving' in name else 'arg:') + name
        param._load_init(params[key], mx.cpu())
    np.testing.assert_allclose(net(x).asnumpy(), reference(x).asnumpy(), rtol=1e-5, atol=1e-4)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), reference(x).asnumpy(), rtol=1e-5, atol=1e-4)


def test_file_without_the_weights_is_rejected(tmp_path):
    path = str(tmp_path / 'other.params')
    mx.nd.save(path, {'arg:conv_1_weight': mx.nd.zeros((64, 3, 7, 7))})
    with pytest.raises(PretrainedWeightsError, match='lacks 413 of 414 parameters'):
        get_backbone('inception-bn', weights=path)


def test_missing_weights_say_where_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    with pytest.raises(PretrainedWeightsError) as err:
        get_backbone('inception-bn', pretrained=True)
    message = str(err.value)
    assert 'Inception-BN-0126.params' in message and '--no-pretrained' in message
    assert 'http://data.mxnet.io/models/imagenet/inception-bn/' in message
    with pytest.raises(PretrainedWeightsError, match='--pretrained /no/such/file does not exist'):
        get_backbone('inception-bn', weights='/no/such/file')


def test_other_input_sizes_work_with_the_global_pool():
    net, _ = get_backbone('inception-bn', pretrained=False)
    assert net(mx.nd.zeros((1, 3, 96, 96))).shape == (1, 1024)
