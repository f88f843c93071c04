"""PyTorch Inception-BN with a linear embedding head and the semi-hard triplet loss.

The PyTorch side of ``bench/bench_training_step.py``: the same layers, channels,
strides, padding and pooling as ``common/models/inception_bn.py`` (written from that
file's tables, not from another project), with the same BatchNorm epsilon and
running-average momentum (MXNet's 0.9 keeps 90% of the old value; PyTorch's momentum is
the weight of the new value, 0.1). ``load_mxnet_parameters`` copies the parameters of our
Gluon network into it by name, so both start from the same random initialisation.

    from torch_inception_bn import InceptionBNEmbedding, triplet_semihard_loss  # in bench/
"""
import torch
from torch import nn

# The tables of common/models/inception_bn.py, repeated so that the timed PyTorch process
# does not load MXNet (two OpenMP runtimes in one process distort the timing). Loading the
# MXNet parameters checks every shape; the forward comparison checks strides and pools.
BN_EPS = 1.00001e-5
# name: (1x1, 3x3 reduce, 3x3, double 3x3 reduce, double 3x3, pool type, projection)
MODULES_A = {
    '3a': (64, 64, 64, 64, 96, 'avg', 32),
    '3b': (64, 64, 96, 64, 96, 'avg', 64),
    '4a': (224, 64, 96, 96, 128, 'avg', 128),
    '4b': (192, 96, 128, 96, 128, 'avg', 128),
    '4c': (160, 128, 160, 128, 160, 'avg', 128),
    '4d': (96, 128, 192, 160, 192, 'avg', 128),
    '5a': (352, 192, 320, 160, 224, 'avg', 128),
    '5b': (352, 192, 320, 192, 224, 'max', 128),
}
# name: (3x3 reduce, 3x3, double 3x3 reduce, double 3x3); stride 2, max pool branch
MODULES_B = {
    '3c': (128, 160, 64, 96),
    '4e': (128, 192, 192, 256),
}
ORDER = ('3a', '3b', '3c', '4a', '4b', '4c', '4d', '4e', '5a', '5b')
# MXNet's moving average keeps 0.9 of the old value; PyTorch's momentum weights the new one.
BN_MOMENTUM = 1 - 0.9
# Stands in for +/- infinity in masked reductions; finite so that 0 * BIG stays 0.
BIG = 1e30


class ConvBNReLU(nn.Module):
    """Conv (with bias, as the Gluon port) -> BatchNorm -> ReLU; ``name`` is the MXNet one."""

    def __init__(self, name, in_channels, channels, kernel=1, stride=1, pad=0):
        super().__init__()
        self.mx_name = name
        self.conv = nn.Conv2d(in_channels, channels, kernel, stride, pad, bias=True)
        self.bn = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.out_channels = channels

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Branches(nn.Module):
    """Parallel branches on one input, concatenated on channels."""

    def __init__(self, branches, out_channels):
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*b) for b in branches)
        self.out_channels = out_channels

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=1)


def module_a(name, cin, c1, c3r, c3, cd3r, cd3, pool, proj):
    pool_layer = (nn.AvgPool2d(3, 1, 1) if pool == 'avg' else nn.MaxPool2d(3, 1, 1))
    branches = [
        [ConvBNReLU(name + '_1x1', cin, c1)],
        [ConvBNReLU(name + '_3x3_reduce', cin, c3r), ConvBNReLU(name + '_3x3', c3r, c3, 3, 1, 1)],
        [ConvBNReLU(name + '_double_3x3_reduce', cin, cd3r),
         ConvBNReLU(name + '_double_3x3_0', cd3r, cd3, 3, 1, 1),
         ConvBNReLU(name + '_double_3x3_1', cd3, cd3, 3, 1, 1)],
        [pool_layer, ConvBNReLU(name + '_proj', cin, proj)],
    ]
    return Branches(branches, c1 + c3 + cd3 + proj)


def module_b(name, cin, c3r, c3, cd3r, cd3):
    branches = [
        [ConvBNReLU(name + '_3x3_reduce', cin, c3r), ConvBNReLU(name + '_3x3', c3r, c3, 3, 2, 1)],
        [ConvBNReLU(name + '_double_3x3_reduce', cin, cd3r),
         ConvBNReLU(name + '_double_3x3_0', cd3r, cd3, 3, 1, 1),
         ConvBNReLU(name + '_double_3x3_1', cd3, cd3, 3, 2, 1)],
        [nn.MaxPool2d(3, 2, 1)],
    ]
    return Branches(branches, c3 + cd3 + cin)


class InceptionBNEmbedding(nn.Module):
    """Inception-BN features -> global average pool -> Linear(1024, embed_dim)."""

    def __init__(self, embed_dim=64):
        super().__init__()
        layers = [ConvBNReLU('1', 3, 64, 7, 2, 3), nn.MaxPool2d(3, 2),
                  ConvBNReLU('2_red', 64, 64), ConvBNReLU('2', 64, 192, 3, 1, 1),
                  nn.MaxPool2d(3, 2)]
        cin = 192
        for name in ORDER:
            if name in MODULES_A:
                block = module_a(name, cin, *MODULES_A[name])
            else:
                block = module_b(name, cin, *MODULES_B[name])
            layers.append(block)
            cin = block.out_channels
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, embed_dim)

    def forward(self, x):
        x = self.features(x)
        return self.head(torch.flatten(x.mean(dim=(2, 3)), 1))


def load_mxnet_parameters(net, mx_params):
    """Copy ``{gluon parameter name: numpy array}`` into ``net``; names of unmatched ones raise.

    The Gluon names are ``conv_<n>_weight/bias``, ``bn_<n>_gamma/beta/running_mean/var``
    and the head's ``..._dense0_weight/bias``.
    """
    left = dict(mx_params)

    def take(suffix):
        keys = [k for k in left if k.endswith(suffix)]
        if len(keys) != 1:
            raise KeyError('load_mxnet_parameters: %d MXNet parameters end in %r'
                           % (len(keys), suffix))
        return torch.from_numpy(left.pop(keys[0]).copy())

    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, ConvBNReLU):
                n = m.mx_name
                m.conv.weight.copy_(take('conv_%s_weight' % n))
                m.conv.bias.copy_(take('conv_%s_bias' % n))
                m.bn.weight.copy_(take('bn_%s_gamma' % n))
                m.bn.bias.copy_(take('bn_%s_beta' % n))
                m.bn.running_mean.copy_(take('bn_%s_running_mean' % n))
                m.bn.running_var.copy_(take('bn_%s_running_var' % n))
        net.head.weight.copy_(take('dense0_weight'))
        net.head.bias.copy_(take('dense0_bias'))
    if left:
        raise KeyError('load_mxnet_parameters: no PyTorch place for %s' % sorted(left))


def triplet_semihard_loss(embeddings, labels, margin=1.0):
    """Semi-hard triplet loss, from the formula in common/losses/triplet_semihard.py.

    Squared Euclidean distances D; for every positive pair (a, p), a != p, the negative
    is the closest n with D_an > D_ap, else the farthest negative of a; the term is
    max(0, margin + D_ap - D_an); the result is the sum over pairs whose anchor has a
    negative, divided by their number (at least 1). Vectorised over a (a, p, n) cube.
    """
    sq = embeddings.pow(2).sum(dim=1, keepdim=True)
    eye = torch.eye(len(labels), dtype=torch.bool, device=embeddings.device)
    # Exact zeros on the diagonal, as the MXNet distance does.
    dist = torch.relu(sq + sq.t() - 2 * embeddings @ embeddings.t()).masked_fill(eye, 0)
    same = labels[:, None] == labels[None, :]
    positive, negative = same & ~eye, ~same
    farther = negative[:, None, :] & (dist[:, None, :] > dist[:, :, None])      # (a, p, n)
    candidates = torch.where(farther, dist[:, None, :].expand_as(farther),
                             torch.full_like(dist[:, None, :], BIG).expand_as(farther))
    semi_hard = candidates.min(dim=2).values                                    # (a, p)
    farthest = torch.where(negative, dist, torch.full_like(dist, -BIG)).max(
        dim=1, keepdim=True).values                                             # (a, 1)
    d_neg = torch.where(farther.any(dim=2), semi_hard, farthest.expand_as(dist))
    valid = (positive & negative.any(dim=1, keepdim=True)).to(dist.dtype)
    terms = torch.relu(margin + dist - d_neg) * valid
    return terms.sum() / valid.sum().clamp(min=1)
