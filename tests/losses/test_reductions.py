"""The reductions of common.losses.reductions against explicit sums."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd
from mxnet.gluon import HybridBlock

from common.losses.reductions import Mean, MeanNonZero, MeanOverBatch, Sum, divide

TERMS = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [0.5, 4.0, 0.0]])
MASK = np.array([[1, 1, 0], [0, 0, 0], [1, 1, 1]])


def nd(a, dtype='float64'):
    return mx.nd.array(a, dtype=dtype)


def reduce(reduction, terms=TERMS, mask=MASK, **kwargs):
    return reduction(mx.nd, nd(terms), None if mask is None else nd(mask), **kwargs).asnumpy()


def test_divide_is_zero_over_nothing():
    assert divide(mx.nd, nd([6.0]), nd([3.0])).asscalar() == 2
    assert divide(mx.nd, nd([0.0]), nd([0.0])).asscalar() == 0
    np.testing.assert_array_equal(divide(mx.nd, nd([[2.0, 4.0]]), nd([[2.0]])).asnumpy(),
                                  [[1, 2]])


def test_whole_batch_reductions():
    kept = TERMS * MASK                                        # 2 + 0.5 + 4 = 6.5
    assert reduce(Sum()) == pytest.approx(kept.sum())
    assert reduce(Mean()) == pytest.approx(kept.sum() / MASK.sum())
    assert reduce(MeanNonZero()) == pytest.approx(kept.sum() / (kept > 0).sum())
    assert reduce(Sum(), mask=None) == pytest.approx(TERMS.sum())
    assert reduce(Mean(), mask=None) == pytest.approx(TERMS.mean())
    assert reduce(MeanNonZero(), mask=None) == pytest.approx(TERMS.sum() / (TERMS > 0).sum())


def test_per_anchor_reductions():
    kept = TERMS * MASK
    np.testing.assert_allclose(reduce(Mean(axis=1)),
                               kept.sum(1) / np.maximum(MASK.sum(1), 1), rtol=1e-15)
    np.testing.assert_allclose(reduce(MeanNonZero(axis=1)),
                               kept.sum(1) / np.maximum((kept > 0).sum(1), 1), rtol=1e-15)
    np.testing.assert_allclose(reduce(Sum(axis=1)), kept.sum(1), rtol=1e-15)


def test_mean_over_batch_counts_masked_anchors_as_zero():
    per_anchor, active = np.array([1.0, 2.0, 6.0, 3.0]), np.array([1, 0, 1, 0])
    assert reduce(MeanOverBatch(), per_anchor, active) == pytest.approx(7 / 4)
    assert reduce(Mean(), per_anchor, active) == pytest.approx(7 / 2)


@pytest.mark.parametrize('reduction', [Mean(), MeanNonZero(), Sum(), Mean(axis=1)])
def test_nothing_to_reduce_gives_zero(reduction):
    assert (reduce(reduction, mask=np.zeros_like(MASK)) == 0).all()
    assert (reduce(reduction, terms=np.zeros_like(TERMS), mask=None) == 0).all()


def test_several_terms_and_an_extra():
    other = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 7.0], [0.0, 0.0, 2.0]])
    kept = TERMS * MASK, other * MASK
    value = MeanNonZero()(mx.nd, (nd(TERMS), nd(other)), nd(MASK), extra=nd([0.5])).asscalar()
    count = (kept[0] > 0).sum() + (kept[1] > 0).sum()          # each non-zero term counts
    assert value == pytest.approx((kept[0].sum() + kept[1].sum() + 0.5) / count)
    assert reduce(Sum(), extra=nd([1.0])) == pytest.approx((TERMS * MASK).sum() + 1)


@pytest.mark.parametrize('reduction,weights', [
    (Sum(), MASK), (Mean(), MASK / MASK.sum()),
    (MeanNonZero(), MASK / ((TERMS * MASK) > 0).sum())])
def test_gradient(reduction, weights):
    terms = nd(TERMS)
    terms.attach_grad()
    with autograd.record():
        out = reduction(mx.nd, terms, nd(MASK))
    out.backward()
    np.testing.assert_allclose(terms.grad.asnumpy(), weights, rtol=1e-15)


class Reduce(HybridBlock):
    def __init__(self, reduction):
        super().__init__()
        self.reduction = reduction

    def hybrid_forward(self, F, terms, mask):
        return self.reduction(F, terms, mask)


@pytest.mark.parametrize('reduction', [Sum(), Mean(), MeanNonZero(), Mean(axis=1),
                                       MeanNonZero(axis=1)])
def test_symbol_equals_ndarray(reduction):
    block = Reduce(reduction)
    block.hybridize(static_alloc=True, static_shape=True)
    np.testing.assert_array_equal(block(nd(TERMS), nd(MASK)).asnumpy(), reduce(reduction))
