"""Inception-BN (Ioffe & Szegedy 2015), as in MXNet's ImageNet model zoo.

A Gluon HybridBlock whose parameter names are those of the zoo's
``Inception-BN-symbol.json`` (``conv_3a_1x1_weight``, ``bn_3a_1x1_gamma``,
...), so ``Inception-BN-0126.params`` loads into it by name. Input: RGB on the
0-255 scale minus the ImageNet mean, no std division. Output: the 1024-d
pooled features (the zoo's ``flatten`` output). The zoo ends in a fixed 7x7
average pool; a global average pool is identical at 224 px and also serves
other image sizes.
"""
from mxnet.gluon import HybridBlock, nn

BN_EPS = 1.00001e-5  # as stored in the zoo symbol
MEAN_RGB = (123.68, 116.779, 103.939)

# (name, 1x1, 3x3 reduce, 3x3, double 3x3 reduce, double 3x3, pool type, projection)
_MODULES_A = {
    '3a': (64, 64, 64, 64, 96, 'avg', 32),
    '3b': (64, 64, 96, 64, 96, 'avg', 64),
    '4a': (224, 64, 96, 96, 128, 'avg', 128),
    '4b': (192, 96, 128, 96, 128, 'avg', 128),
    '4c': (160, 128, 160, 128, 160, 'avg', 128),
    '4d': (96, 128, 192, 160, 192, 'avg', 128),
    '5a': (352, 192, 320, 160, 224, 'avg', 128),
    '5b': (352, 192, 320, 192, 224, 'max', 128),
}
# (name, 3x3 reduce, 3x3, double 3x3 reduce, double 3x3); stride 2, max pool branch
_MODULES_B = {
    '3c': (128, 160, 64, 96),
    '4e': (128, 192, 192, 256),
}
_ORDER = ('3a', '3b', '3c', '4a', '4b', '4c', '4d', '4e', '5a', '5b')


class ConvBNReLU(HybridBlock):
    """``conv_<name>`` (with bias) -> ``bn_<name>`` -> ReLU."""

    def __init__(self, name, channels, kernel=1, stride=1, pad=0):
        super().__init__(prefix='')
        with self.name_scope():
            self.conv = nn.Conv2D(channels, kernel, stride, pad, prefix='conv_%s_' % name)
            self.bn = nn.BatchNorm(epsilon=BN_EPS, momentum=0.9, prefix='bn_%s_' % name)

    def hybrid_forward(self, F, x):
        return F.Activation(self.bn(self.conv(x)), act_type='relu')


class _Branches(HybridBlock):
    """Runs parallel branches on one input and concatenates them on channels."""

    def __init__(self):
        super().__init__(prefix='')
        self.branches = []

    def add(self, *layers):
        branch = nn.HybridSequential(prefix='')
        branch.add(*layers)
        self.register_child(branch)
        self.branches.append(branch)

    def hybrid_forward(self, F, x):
        return F.concat(*[b(x) for b in self.branches], dim=1)


def _module_a(name, c1, c3r, c3, cd3r, cd3, pool, proj):
    m = _Branches()
    m.add(ConvBNReLU(name + '_1x1', c1))
    m.add(ConvBNReLU(name + '_3x3_reduce', c3r), ConvBNReLU(name + '_3x3', c3, 3, 1, 1))
    m.add(ConvBNReLU(name + '_double_3x3_reduce', cd3r),
          ConvBNReLU(name + '_double_3x3_0', cd3, 3, 1, 1),
          ConvBNReLU(name + '_double_3x3_1', cd3, 3, 1, 1))
    pool_layer = (nn.AvgPool2D if pool == 'avg' else nn.MaxPool2D)(3, 1, 1)
    m.add(pool_layer, ConvBNReLU(name + '_proj', proj))
    return m


def _module_b(name, c3r, c3, cd3r, cd3):
    m = _Branches()
    m.add(ConvBNReLU(name + '_3x3_reduce', c3r), ConvBNReLU(name + '_3x3', c3, 3, 2, 1))
    m.add(ConvBNReLU(name + '_double_3x3_reduce', cd3r),
          ConvBNReLU(name + '_double_3x3_0', cd3, 3, 1, 1),
          ConvBNReLU(name + '_double_3x3_1', cd3, 3, 2, 1))
    m.add(nn.MaxPool2D(3, 2, 1))
    return m


class InceptionBN(HybridBlock):
    feature_dim = 1024

    def __init__(self, prefix='', **kwargs):
        super().__init__(prefix=prefix, **kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(ConvBNReLU('1', 64, 7, 2, 3), nn.MaxPool2D(3, 2),
                              ConvBNReLU('2_red', 64), ConvBNReLU('2', 192, 3, 1, 1),
                              nn.MaxPool2D(3, 2))
            for name in _ORDER:
                if name in _MODULES_A:
                    self.features.add(_module_a(name, *_MODULES_A[name]))
                else:
                    self.features.add(_module_b(name, *_MODULES_B[name]))
            self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.features(x)


def zoo_parameter_name(local_name):
    """The zoo file key (``arg:``/``aux:`` prefixed) of a Gluon parameter name."""
    if local_name.endswith('running_mean') or local_name.endswith('running_var'):
        return 'aux:' + local_name.replace('running_', 'moving_')
    return 'arg:' + local_name


WEIGHTS_FILE = 'Inception-BN-0126.params'
WEIGHTS_URL = 'http://data.mxnet.io/models/imagenet/inception-bn/' + WEIGHTS_FILE


def default_weights():
    from .pretrained import fetch
    return fetch('Inception-BN', WEIGHTS_FILE, WEIGHTS_URL)


def build(weights, ctx):
    from .pretrained import check_exists, load_by_name
    from .registry import SCRATCH_INIT
    net = InceptionBN()
    if weights is None:
        net.initialize(SCRATCH_INIT, ctx=ctx)
    else:
        load_by_name(net, check_exists('Inception-BN', weights), zoo_parameter_name,
                     'Inception-BN', ctx)
    return net
