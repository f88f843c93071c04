import mxnet as mx
import numpy as np
import pytest

from common.models import (
    EmbeddingHead,
    PretrainedWeightsError,
    build_embedding_net,
    get_backbone,
    list_backbones,
)


def test_registry_lists_the_backbones():
    assert {'inception-bn', 'resnet18_v2', 'resnet50_v2', 'googlenet', 'small'} <= set(
        list_backbones())
    with pytest.raises(ValueError, match='--model vgg: unknown backbone'):
        get_backbone('vgg')


@pytest.mark.parametrize('name,size,dim', [('small', 32, 256), ('resnet18_v2', 64, 512),
                                           ('resnet50_v2', 64, 2048), ('googlenet', 64, 1024)])
def test_backbones_give_feature_vectors(name, size, dim):
    net, spec = get_backbone(name, pretrained=False)
    assert spec.feature_dim == dim
    assert net(mx.nd.zeros((2, 3, size, size))).shape == (2, dim)


@pytest.mark.parametrize('name', [pytest.param('resnet50_v2', marks=pytest.mark.slow), 'googlenet'])
def test_gluoncv_weights_load_from_a_file_and_drop_the_classifier(name, tmp_path):
    from gluoncv.model_zoo import get_model
    source = get_model(name, pretrained=False)
    source.initialize(mx.init.Normal(0.02))
    source(mx.nd.zeros((1, 3, 224, 224)))
    path = str(tmp_path / (name + '.params'))
    source.save_parameters(path)
    net, _ = get_backbone(name, weights=path)
    names = list(net.collect_params().keys())
    assert not any('dense' in n or 'output' in n for n in names)
    first = [p for n, p in net.collect_params().items() if 'conv' in n][0]
    src = [p for n, p in source.collect_params().items() if 'conv' in n][0]
    np.testing.assert_array_equal(first.data().asnumpy(), src.data().asnumpy())


def test_gluoncv_missing_weights_message(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    with pytest.raises(PretrainedWeightsError, match='--no-pretrained'):
        get_backbone('resnet50_v2', pretrained=True)
    assert not list(tmp_path.glob('models/*.lock'))


def test_small_has_no_pretrained_weights():
    with pytest.raises(ValueError, match='pass --no-pretrained'):
        get_backbone('small', pretrained=True)


def test_head_normalises_rows_and_is_finite_at_zero():
    head = EmbeddingHead(4, normalize=True)
    head.initialize()
    out = head(mx.nd.array(np.random.RandomState(0).randn(3, 10))).asnumpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1, rtol=1e-5)
    head = EmbeddingHead(4, normalize=True, use_bias=False)
    head.initialize()
    x = mx.nd.zeros((2, 10))
    x.attach_grad()
    with mx.autograd.record():
        y = head(x)
    y.backward()
    assert np.isfinite(x.grad.asnumpy()).all()


def test_embedding_net_on_two_devices():
    contexts = [mx.cpu(0), mx.cpu(1)]
    backbone, _ = get_backbone('small', pretrained=False, ctx=contexts)
    net = build_embedding_net(backbone, 8, ctx=contexts)
    for ctx in contexts:
        assert net(mx.nd.zeros((2, 3, 32, 32), ctx=ctx)).shape == (2, 8)
