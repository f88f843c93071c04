"""Central finite differences of a float64 reference function."""
import numpy as np


def numerical_gradient(fn, x, step=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += step
        minus[idx] -= step
        grad[idx] = (fn(plus) - fn(minus)) / (2 * step)
    return grad
