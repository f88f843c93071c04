"""The pair-loss base: the distance and reduction a loss declares, replaceable per instance."""
import mxnet as mx
import numpy as np
import pytest

from common.losses import ContrastiveLoss, NCALoss
from common.losses.base import PairwiseLoss
from common.losses.distances import Euclidean, SquaredEuclidean
from common.losses.reductions import Mean, MeanNonZero, Sum


class PositiveDistance(PairwiseLoss):
    """Reduces the positive pairs' distances: what the base hands the formula, observable."""
    distance, reduction = Euclidean(), Mean()

    def formula(self, F, x, labels, dist, masks):
        return self.reduction(F, dist, masks.positive)


def batch():
    rng = np.random.RandomState(0)
    return rng.randn(6, 3), np.array([0, 0, 1, 1, 1, 2])


def expected(x, labels, squared=False, reduce=np.mean):
    d = [np.sum((x[i] - x[j]) ** 2) for i in range(len(x)) for j in range(len(x))
         if i != j and labels[i] == labels[j]]
    return reduce(np.array(d) if squared else np.sqrt(d))


@pytest.mark.parametrize('hybridize', [False, True])
def test_formula_gets_the_declared_distance_and_masks(hybridize):
    x, labels = batch()
    for block, want in [(PositiveDistance(), expected(x, labels)),
                        (PositiveDistance(distance=SquaredEuclidean()),
                         expected(x, labels, squared=True)),
                        (PositiveDistance(reduction=Sum()), expected(x, labels, reduce=np.sum))]:
        block.initialize()
        if hybridize:
            block.hybridize(static_alloc=True, static_shape=True)
        got = block(mx.nd.array(x, dtype='float64'), mx.nd.array(labels)).asscalar()
        assert got == pytest.approx(want, rel=1e-12)


def test_overrides_stay_with_the_instance():
    replaced = ContrastiveLoss(distance=SquaredEuclidean(), reduction=Mean())
    assert isinstance(replaced.distance, SquaredEuclidean) and isinstance(replaced.reduction,
                                                                          Mean)
    default = ContrastiveLoss()
    assert isinstance(default.distance, Euclidean) and isinstance(default.reduction,
                                                                  MeanNonZero)
    assert isinstance(NCALoss().distance, SquaredEuclidean)
