"""A small, fast convolutional network for CPU tests and the demo (32-64 px inputs)."""
from mxnet.gluon import HybridBlock, nn


class SmallCNN(HybridBlock):
    """Four conv-BN-ReLU stages (32, 64, 128, 256 channels), global average pool."""
    feature_dim = 256

    def __init__(self, channels=(32, 64, 128, 256), **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            for i, c in enumerate(channels):
                self.features.add(nn.Conv2D(c, 3, padding=1, use_bias=False), nn.BatchNorm(),
                                  nn.Activation('relu'))
                if i < len(channels) - 1:
                    self.features.add(nn.MaxPool2D(2, 2))
            self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.features(x)


def build(weights, ctx):
    from .pretrained import check_exists
    from .registry import SCRATCH_INIT
    net = SmallCNN()
    if weights is None:
        net.initialize(SCRATCH_INIT, ctx=ctx)
    else:  # a file written by SmallCNN.save_parameters
        net.load_parameters(check_exists('small', weights), ctx=ctx)
    return net
