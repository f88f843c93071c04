"""The NormSoftmax head (Zhai and Wu 2019) as the DML playground built it.

LayerNorm over the backbone's features (learnable gain and bias, as in the
playground; the paper's has none), then a bias-free linear layer whose
weight is normalised as a whole, W = g V / sqrt(|V|_F^2 + 1e-7) with one
scalar gain g (not per-row weight normalisation), dropout, and L2
normalisation. Without the linear layer (``use_fc=False``) the embedding is
the normalised features themselves.
"""
import mxnet as mx
from mxnet.gluon import HybridBlock, nn


class WeightNormalizedDense(HybridBlock):
    """y = x (g V / |V|_F)^T: a linear layer with a globally normalised weight and one gain."""

    def __init__(self, units, in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          allow_deferred_init=True)
            self.gain = self.params.get('gain', shape=(1,), init=mx.init.One())

    def hybrid_forward(self, F, x, weight, gain):
        scale = F.broadcast_div(gain, F.sqrt(F.sum(F.square(weight)) + 1e-7))
        return F.broadcast_mul(F.FullyConnected(x, weight, no_bias=True, num_hidden=self._units),
                               scale.reshape((1, 1)))


class NormSoftmaxHead(HybridBlock):
    def __init__(self, embed_dim, use_fc=True, dropout=0.5, **kwargs):
        super().__init__(**kwargs)
        self.use_fc = use_fc
        with self.name_scope():
            self.norm = nn.LayerNorm(axis=-1, epsilon=1e-5)
            self.body = nn.HybridSequential()
            if use_fc:
                self.body.add(WeightNormalizedDense(embed_dim))
                if dropout:
                    self.body.add(nn.Dropout(dropout))

    def hybrid_forward(self, F, x):
        x = self.body(self.norm(F.flatten(x)))
        return F.L2Normalization(x, mode='instance', eps=1e-10)
