"""The distances of common.losses.distances against explicit float64 loops."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import HybridBlock

from common.losses.distances import (
    Cosine,
    Euclidean,
    SquaredEuclidean,
    identity_like,
    l2_normalize,
    row_index,
    squared_euclidean,
)


def loop_squared(x, y):
    return np.array([[np.sum((a - b) ** 2) for b in y] for a in x])


class Apply(HybridBlock):
    """distance(F, x) or distance(F, x, y) as a block, to run it as a symbol."""

    def __init__(self, distance):
        super().__init__()
        self.distance = distance

    def hybrid_forward(self, F, x, y=None):
        return self.distance(F, x, y)


def nd(a, dtype='float64'):
    return mx.nd.array(a, dtype=dtype)


def value_and_grad(distance, x, y=None, dtype='float64'):
    """D and d sum(D) / dx."""
    xa = nd(x, dtype)
    xa.attach_grad()
    with autograd.record():
        out = distance(mx.nd, xa, None if y is None else nd(y, dtype))
    out.backward()
    return out.asnumpy(), xa.grad.asnumpy()


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
def test_row_index_and_identity(dtype):
    x = nd(np.zeros((4, 3)), dtype)
    assert row_index(mx.nd, x).asnumpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(identity_like(mx.nd, x).asnumpy(), np.eye(4))


def test_squared_euclidean_matches_a_loop():
    rng = np.random.RandomState(0)
    x, y = rng.randn(6, 5), rng.randn(4, 5)
    np.testing.assert_allclose(squared_euclidean(mx.nd, nd(x)).asnumpy(), loop_squared(x, x),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(squared_euclidean(mx.nd, nd(x), nd(y)).asnumpy(),
                               loop_squared(x, y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(SquaredEuclidean()(mx.nd, nd(x)).asnumpy(), loop_squared(x, x),
                               rtol=1e-12, atol=1e-12)


def test_squared_euclidean_diagonal_is_exactly_zero_and_never_negative():
    rng = np.random.RandomState(1)
    x = 1e3 * rng.randn(5, 7) + 1e4          # rounding of the expansion is large here
    x[3] = x[1]                               # a duplicate: its expansion may round below 0
    d = squared_euclidean(mx.nd, nd(x, 'float32')).asnumpy()
    assert (np.diag(d) == 0).all()
    assert (d >= 0).all()


def test_unclamped_expansion():
    rng = np.random.RandomState(2)
    x, y = rng.randn(3, 4), rng.randn(5, 4)
    raw = (np.sum(x ** 2, 1)[:, None] + np.sum(y ** 2, 1)[None, :]) - 2 * x @ y.T
    np.testing.assert_allclose(squared_euclidean(mx.nd, nd(x), nd(y), clamp=False).asnumpy(),
                               raw, rtol=1e-12)


def test_euclidean_default_policy():
    """sqrt(max(d^2, 1e-12)), exactly 0 (value and gradient) for coincident points."""
    rng = np.random.RandomState(3)
    x = rng.randn(5, 4)
    x[4] = x[0]
    d, grad = value_and_grad(Euclidean(), x)
    want = np.sqrt(loop_squared(x, x))
    want[0, 4] = want[4, 0] = 0
    np.testing.assert_allclose(d, want, rtol=1e-10, atol=1e-7)
    assert d[0, 4] == 0 and d[4, 0] == 0 and (np.diag(d) == 0).all()
    assert np.isfinite(grad).all()
    # Gradient of sum(D): sum over j != i of 2 (x_i - x_j) / D_ij, coincident pairs left out.
    expected = np.zeros_like(x)
    for i in range(5):
        for j in range(5):
            if want[i, j] > 0:
                expected[i] += 2 * (x[i] - x[j]) / want[i, j]
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-6)


def test_euclidean_below_eps_is_zero():
    x = np.array([[0.0, 0.0], [1e-7, 0.0], [1.0, 0.0]])   # d^2 = 1e-14 < 1e-12
    d = Euclidean()(mx.nd, nd(x)).asnumpy()
    assert d[0, 1] == 0 and d[1, 0] == 0
    assert d[0, 2] == pytest.approx(1.0)


def test_named_epsilon_variants():
    x = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [3e7, 4e7]])
    sq = loop_squared(x, x)   # the expansion of |x - y|^2 rounds at ~1e-9 relative here
    margin = Euclidean(eps=0, offset=1e-8, exact_zero=False)(mx.nd, nd(x)).asnumpy()
    np.testing.assert_allclose(margin, np.sqrt(sq + 1e-8), rtol=1e-8)
    hphn = Euclidean(ceiling=1e12, exact_zero=False)(mx.nd, nd(x)).asnumpy()
    np.testing.assert_allclose(hphn, np.sqrt(np.clip(sq, 1e-12, 1e12)), rtol=1e-8)
    assert hphn[0, 1] == pytest.approx(1e-6) and hphn[0, 3] == pytest.approx(1e6)
    plain = Euclidean(eps=0, exact_zero=False)(mx.nd, nd(x)).asnumpy()
    np.testing.assert_allclose(plain, np.sqrt(sq), rtol=1e-8)


@pytest.mark.parametrize('distance', [Euclidean(), Euclidean(eps=0, offset=1e-8,
                                                             exact_zero=False),
                                      Euclidean(ceiling=1e12, exact_zero=False)])
def test_euclidean_gradient_is_finite_on_duplicates(distance):
    x = np.repeat(np.array([[0.6, 0.8], [1.0, 0.0]]), 2, axis=0)
    for dtype in ('float64', 'float32'):
        d, grad = value_and_grad(distance, x, dtype=dtype)
        assert np.isfinite(d).all() and np.isfinite(grad).all()


def test_cosine():
    rng = np.random.RandomState(4)
    x, y = rng.randn(4, 3) * 5, rng.randn(6, 3)
    x[2] = 0
    unit = x / np.sqrt(np.sum(x ** 2, 1, keepdims=True) + 1e-12)
    unit_y = y / np.sqrt(np.sum(y ** 2, 1, keepdims=True) + 1e-12)
    np.testing.assert_allclose(Cosine()(mx.nd, nd(x), nd(y)).asnumpy(), unit @ unit_y.T,
                               rtol=1e-12, atol=1e-15)
    assert (Cosine()(mx.nd, nd(x)).asnumpy()[2] == 0).all()          # a zero row stays 0
    np.testing.assert_allclose(Cosine(normalize=False)(mx.nd, nd(x)).asnumpy(), x @ x.T,
                               rtol=1e-12)
    np.testing.assert_allclose(l2_normalize(mx.nd, nd(x)).asnumpy(), unit, rtol=1e-12)


def test_which_way_is_closer():
    assert Cosine.is_similarity
    assert not Euclidean.is_similarity and not SquaredEuclidean.is_similarity


@pytest.mark.parametrize('distance', [SquaredEuclidean(), Euclidean(), Cosine(),
                                      Euclidean(ceiling=1e12, exact_zero=False)])
@pytest.mark.parametrize('with_y', [False, True])
def test_symbol_equals_ndarray(distance, with_y):
    rng = np.random.RandomState(5)
    x, y = rng.randn(5, 3), rng.randn(4, 3)
    x[1] = x[0]
    args = (nd(x), nd(y)) if with_y else (nd(x),)
    block = Apply(distance)
    block.hybridize(static_alloc=True, static_shape=True)
    np.testing.assert_array_equal(block(*args).asnumpy(), distance(mx.nd, *args).asnumpy())
