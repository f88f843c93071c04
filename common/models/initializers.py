"""Initialisers the playground used for heads and proxies."""
import mxnet as mx
import numpy as np


@mx.init.register
class TruncNorm(mx.init.Initializer):
    """Normal(0, stdev^2) truncated at +/- 2 stdev (redrawn outside)."""

    def __init__(self, stdev=0.001):
        super().__init__(stdev=stdev)
        self.stdev = stdev

    def _init_weight(self, name, arr):
        rng = np.random.RandomState(mx.nd.random.randint(0, 2 ** 31 - 1, shape=1).asscalar())
        values = rng.normal(0, self.stdev, arr.shape)
        bad = np.abs(values) > 2 * self.stdev
        while bad.any():
            values[bad] = rng.normal(0, self.stdev, bad.sum())
            bad = np.abs(values) > 2 * self.stdev
        arr[:] = values

    _init_bias = _init_weight


@mx.init.register
class NormalScaled(mx.init.Initializer):
    """Normal(0, sigma^2) divided by ``scale``: the playground's proxy initialisation."""

    def __init__(self, scale=8.0, sigma=0.01):
        super().__init__(scale=scale, sigma=sigma)
        self.scale, self.sigma = scale, sigma

    def _init_weight(self, name, arr):
        mx.nd.random.normal(0, self.sigma, out=arr)
        arr[:] = arr / self.scale

    _init_default = _init_weight


def xavier(magnitude):
    """Uniform Xavier with the fan average, as the playground's heads (magnitude 0.2 or 2)."""
    return mx.init.Xavier(rnd_type='uniform', factor_type='avg', magnitude=magnitude)
