"""Label masks and masked selections of common.losses.masks, against explicit loops."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import HybridBlock

from common.losses.masks import (
    BIG,
    any_along,
    fill,
    label_masks,
    masked_argmin,
    masked_logsumexp,
    masked_max,
    masked_min,
)


def nd(a, dtype='float64'):
    return mx.nd.array(a, dtype=dtype)


def with_grad(fn, x, dtype='float64'):
    """fn(x) and d sum(fn(x)) / dx."""
    xa = nd(x, dtype)
    xa.attach_grad()
    with autograd.record():
        out = fn(xa)
    out.backward()
    return out.asnumpy(), xa.grad.asnumpy()


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('label_dtype', ['int32', 'float32'])
def test_label_masks(dtype, label_dtype):
    labels = np.array([3, 1, 3, 3, 7, 1])
    masks = label_masks(mx.nd, mx.nd.array(labels, dtype=label_dtype),
                        mx.nd.zeros((6, 6), dtype=dtype))
    for i in range(6):
        for j in range(6):
            same = labels[i] == labels[j]
            assert masks.same[i, j].asscalar() == same
            assert masks.positive[i, j].asscalar() == (same and i != j)
            assert masks.negative[i, j].asscalar() == (not same)
    assert all(m.dtype == np.dtype(dtype) for m in masks)
    same, positive, negative = masks                     # a tuple too
    assert same is masks.same


def test_label_masks_of_one_sample():
    masks = label_masks(mx.nd, mx.nd.array([5]), mx.nd.zeros((1, 1)))
    assert [m.asnumpy().tolist() for m in masks] == [[[1]], [[0]], [[0]]]


def test_any_along_and_fill():
    mask = nd([[0, 1, 0], [0, 0, 0]])
    assert any_along(mx.nd, mask, axis=1).asnumpy().tolist() == [1, 0]
    assert any_along(mx.nd, mask, axis=1, keepdims=True).shape == (2, 1)
    x = nd([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(fill(mx.nd, x, mask, -7).asnumpy(),
                                  [[-7, 2, -7], [-7, -7, -7]])


def test_masked_min_max_values():
    rng = np.random.RandomState(0)
    x = rng.randn(5, 6)
    mask = (rng.rand(5, 6) < 0.5).astype(float)
    mask[0] = 0                                       # a row with nothing masked
    mask[1] = 0
    mask[1, 4] = 1                                    # a row of one entry
    low = masked_min(mx.nd, nd(x), nd(mask), axis=1).asnumpy()
    high = masked_max(mx.nd, nd(x), nd(mask), axis=1, keepdims=True).asnumpy()
    assert high.shape == (5, 1)
    for i in range(5):
        kept = x[i][mask[i] > 0]
        # BIG passes through MXNet's scalar arithmetic: equal to within rounding.
        assert low[i] == (kept.min() if kept.size else pytest.approx(BIG))
        assert high[i, 0] == (kept.max() if kept.size else pytest.approx(-BIG))
    # along the other axis
    cols = masked_min(mx.nd, nd(x), nd(mask), axis=0).asnumpy()
    for j in range(6):
        kept = x[:, j][mask[:, j] > 0]
        assert cols[j] == (kept.min() if kept.size else pytest.approx(BIG))


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_ties_send_the_gradient_to_the_first_extreme_only(dtype):
    x = np.array([[2.0, 1.0, 1.0, 3.0, 1.0], [5.0, 5.0, 0.0, 5.0, 9.0]])
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    _, grad_min = with_grad(lambda z: masked_min(mx.nd, z, nd(mask, dtype), axis=1), x, dtype)
    np.testing.assert_array_equal(grad_min, [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0]])
    _, grad_max = with_grad(lambda z: masked_max(mx.nd, z, nd(mask, dtype), axis=1), x, dtype)
    np.testing.assert_array_equal(grad_max, [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0]])


def test_masked_argmin():
    x = nd([[3.0, 1.0, 2.0, 1.0], [0.0, 4.0, 4.0, 5.0]])
    mask = nd([[1, 0, 1, 1], [0, 1, 1, 0]])
    assert masked_argmin(mx.nd, x, mask, axis=1).asnumpy().tolist() == [3, 1]
    assert masked_argmin(mx.nd, x, mask, axis=1, largest=True).asnumpy().tolist() == [0, 1]


def reference_lse(z, mask, plus_one=False):
    out = []
    for row, keep in zip(z, mask):
        terms = [np.exp(v) for v, k in zip(row, keep) if k] + ([1.0] if plus_one else [])
        out.append(np.log(sum(terms)) if terms else -np.inf)
    return np.array(out)


@pytest.mark.parametrize('plus_one', [False, True])
def test_masked_logsumexp_matches_a_loop(plus_one):
    rng = np.random.RandomState(1)
    z = rng.randn(6, 5) * 3
    mask = (rng.rand(6, 5) < 0.6).astype(float)
    mask[0] = 1
    mask[1] = 0
    mask[1, 2] = 1
    got = masked_logsumexp(mx.nd, nd(z), nd(mask), plus_one=plus_one).asnumpy()
    np.testing.assert_allclose(got, reference_lse(z, mask, plus_one), rtol=1e-12)
    kept = masked_logsumexp(mx.nd, nd(z), nd(mask), keepdims=True, plus_one=plus_one)
    assert kept.shape == (6, 1)
    np.testing.assert_array_equal(kept.asnumpy()[:, 0], got)


def test_masked_logsumexp_of_nothing():
    z, mask = nd([[1.0, 2.0]]), nd([[0, 0]])
    assert masked_logsumexp(mx.nd, z, mask).asscalar() < -BIG / 2
    assert masked_logsumexp(mx.nd, z, mask, plus_one=True).asscalar() == 0


@pytest.mark.parametrize('plus_one', [False, True])
def test_masked_logsumexp_is_stable_and_its_gradient_is_the_masked_softmax(plus_one):
    z = np.array([[1000.0, 999.0, -1000.0, 5.0], [-800.0, -801.0, 3.0, 2.0]])
    mask = np.array([[1, 1, 0, 1], [1, 1, 0, 0]])
    value, grad = with_grad(lambda t: masked_logsumexp(mx.nd, t, nd(mask), plus_one=plus_one),
                            z)
    assert np.isfinite(value).all()
    shift = np.max(np.where(mask > 0, z, -np.inf), axis=1, keepdims=True)
    if plus_one:
        shift = np.maximum(shift, 0)
    e = np.exp(np.where(mask > 0, z - shift, -np.inf))
    total = e.sum(1, keepdims=True) + (np.exp(-shift) if plus_one else 0)
    np.testing.assert_allclose(value, (np.log(total) + shift)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(grad, e / total, rtol=1e-12, atol=1e-300)


class Selections(HybridBlock):
    def hybrid_forward(self, F, x, mask):
        return F.concat(masked_min(F, x, mask, axis=1), masked_max(F, x, mask, axis=1),
                        masked_logsumexp(F, x, mask), masked_logsumexp(F, x, mask, plus_one=True),
                        dim=0)


def test_symbol_equals_ndarray():
    rng = np.random.RandomState(2)
    x, mask = nd(rng.randn(4, 5)), nd(rng.rand(4, 5) < 0.5)
    block = Selections()
    block.hybridize(static_alloc=True, static_shape=True)
    np.testing.assert_array_equal(block(x, mask).asnumpy(),
                                  Selections().hybrid_forward(mx.nd, x, mask).asnumpy())
