"""Harness comparing a loss block with its independent reference (values and gradients)."""
import mxnet as mx
import numpy as np
from mxnet import autograd

from references.gradcheck import numerical_gradient


def run_block(block, x, labels, dtype='float64'):
    """(value, gradient w.r.t. x) of ``block(x, labels)``; a vector output is summed."""
    xa = mx.nd.array(x, dtype=dtype)
    xa.attach_grad()
    with autograd.record():
        out = block(xa, mx.nd.array(labels, dtype='int32'))
    out.backward()
    return out.asnumpy(), xa.grad.asnumpy()


def make_block(factory, hybridize, dtype='float64'):
    block = factory()
    block.initialize()
    block.cast(dtype)
    if hybridize:
        block.hybridize()
    return block


def assert_matches_reference(factory, reference, x, labels, rtol=1e-6, grad_atol=1e-6):
    """float64 value and autograd gradient equal the reference and its finite differences,
    imperatively and hybridized; float32 value within 1e-4 relative."""
    x = np.asarray(x, dtype=np.float64)
    expected = reference(x, labels)
    expected_grad = numerical_gradient(lambda z: np.sum(reference(z, labels)), x)
    for hybridize in (False, True):
        value, grad = run_block(make_block(factory, hybridize), x, labels)
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=1e-9)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=grad_atol)
    value32, _ = run_block(make_block(factory, True, 'float32'), x, labels, 'float32')
    np.testing.assert_allclose(value32, expected, rtol=1e-4, atol=1e-5)


def assert_finite(factory, x, labels, dtype='float32'):
    for hybridize in (False, True):
        value, grad = run_block(make_block(factory, hybridize, dtype), x, labels, dtype)
        assert np.isfinite(value).all(), 'loss is not finite: %s' % value
        assert np.isfinite(grad).all(), 'gradient is not finite'


def degenerate_batches(dim=8, seed=0):
    """(name, embeddings, labels) batches that break careless losses."""
    rng = np.random.RandomState(seed)
    base = rng.randn(6, dim)
    unit = base / np.linalg.norm(base, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1, 2, 2])
    yield 'exact duplicates', np.repeat(unit[:3], 2, axis=0), np.array([0, 0, 1, 1, 2, 2])
    yield 'duplicates across classes', np.repeat(unit[:3], 2, axis=0), np.array([0, 1, 0, 1, 2, 2])
    yield 'all equal', np.tile(unit[:1], (6, 1)), labels
    yield 'all zero', np.zeros((6, dim)), labels
    yield 'single class', unit, np.zeros(6, dtype=int)
    yield 'all singletons', unit, np.arange(6)
    yield 'singletons and a pair', unit, np.array([0, 0, 1, 2, 3, 4])
    yield 'very close points', unit[:1] + 1e-7 * rng.randn(6, dim), labels
    yield 'large magnitude', 1e3 * unit, labels
    yield 'two samples', unit[:2], np.array([0, 0])
