"""Harness comparing a loss block with its independent reference (values and gradients)."""
import mxnet as mx
import numpy as np
from mxnet import autograd

from references.gradcheck import numerical_gradient


def make_block(factory, hybridize, dtype='float64', params=None):
    """Build, initialise and cast a block; ``params`` sets parameters by name suffix."""
    block = factory()
    block.initialize()
    block.cast(dtype)
    for suffix, value in (params or {}).items():
        matches = [p for n, p in block.collect_params().items() if n.endswith(suffix)]
        assert len(matches) == 1, 'no unique parameter named *%s' % suffix
        matches[0].set_data(mx.nd.array(value, dtype=dtype))
    if hybridize:
        block.hybridize()
    return block


def run_block(block, x, labels, dtype='float64'):
    """(value, d value / d x, {param suffix: gradient}) of ``block(x, labels)``."""
    xa = mx.nd.array(x, dtype=dtype)
    xa.attach_grad()
    with autograd.record():
        out = block(xa, mx.nd.array(labels, dtype='int32'))
    out.backward()
    grads = {n: p.grad().asnumpy() for n, p in block.collect_params().items()
             if p.grad_req != 'null'}
    return out.asnumpy(), xa.grad.asnumpy(), grads


def assert_matches_reference(factory, reference, x, labels, params=None, rtol=1e-6,
                             grad_atol=1e-6, float32=True):
    """float64 value and autograd gradients (embeddings and parameters) equal the reference
    and its central finite differences, imperatively and hybridized; float32 value close.

    ``reference(x, labels, **params)`` takes the parameters by their name suffix.
    """
    x = np.asarray(x, dtype=np.float64)
    params = {k: np.asarray(v, dtype=np.float64) for k, v in (params or {}).items()}
    expected = reference(x, labels, **params)
    expected_grad = numerical_gradient(lambda z: np.sum(reference(z, labels, **params)), x)
    expected_param_grads = {
        k: numerical_gradient(lambda v, k=k: np.sum(reference(x, labels, **dict(params, **{k: v}))),
                              v) for k, v in params.items()}
    for hybridize in (False, True):
        block = make_block(factory, hybridize, params=params)
        value, grad, param_grads = run_block(block, x, labels)
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=1e-9)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=grad_atol)
        for suffix, want in expected_param_grads.items():
            got = [g for n, g in param_grads.items() if n.endswith(suffix)]
            assert got, 'parameter %s received no gradient' % suffix
            np.testing.assert_allclose(got[0], want, rtol=1e-4, atol=grad_atol)
    if float32:
        value32, _, _ = run_block(make_block(factory, True, 'float32', params), x, labels,
                                  'float32')
        np.testing.assert_allclose(value32, expected, rtol=1e-4, atol=1e-5)


def assert_finite(factory, x, labels, dtype='float32', params=None):
    for hybridize in (False, True):
        value, grad, param_grads = run_block(make_block(factory, hybridize, dtype, params), x,
                                             labels, dtype)
        assert np.isfinite(value).all(), 'loss is not finite: %s' % value
        assert np.isfinite(grad).all(), 'gradient is not finite'
        for name, g in param_grads.items():
            assert np.isfinite(g).all(), 'gradient of %s is not finite' % name


def unit_rows(rng, n, dim):
    x = rng.randn(n, dim)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def degenerate_batches(dim=8, seed=0):
    """(name, embeddings, labels) batches that break careless losses (six rows, pairs)."""
    rng = np.random.RandomState(seed)
    unit = unit_rows(rng, 6, dim)
    labels = np.array([0, 0, 1, 1, 2, 2])
    yield 'exact duplicates', np.repeat(unit[:3], 2, axis=0), labels
    yield 'duplicates across classes', np.repeat(unit[:3], 2, axis=0), np.array([0, 1, 0, 1, 2, 2])
    yield 'all equal', np.tile(unit[:1], (6, 1)), labels
    yield 'all zero', np.zeros((6, dim)), labels
    yield 'single class', unit, np.zeros(6, dtype=int)
    yield 'all singletons', unit, np.arange(6)
    yield 'singletons and a pair', unit, np.array([0, 0, 1, 2, 3, 4])
    yield 'very close points', unit[:1] + 1e-7 * rng.randn(6, dim), labels
    yield 'antipodal pairs', np.concatenate([unit[:3], -unit[:3]])[[0, 3, 1, 4, 2, 5]], labels
    yield 'large magnitude', 1e3 * unit, labels
    yield 'two samples', unit[:2], np.array([0, 0])
