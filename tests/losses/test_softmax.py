import numpy as np
import pytest

from common.losses.softmax import SoftmaxCrossEntropyLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.softmax import softmax_cross_entropy


@pytest.mark.parametrize('n,classes,seed', [(6, 3, 0), (10, 5, 1), (16, 8, 2)])
@pytest.mark.parametrize('smoothing', [0.0, 0.1])
def test_matches_reference(n, classes, seed, smoothing):
    rng = np.random.RandomState(seed)
    x, labels = 3 * rng.randn(n, classes), rng.randint(0, classes, n)
    assert_matches_reference(lambda: SoftmaxCrossEntropyLoss(classes, smoothing),
                             lambda z, y: softmax_cross_entropy(z, y, classes, smoothing),
                             x, labels)


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(lambda: SoftmaxCrossEntropyLoss(x.shape[1]), x, labels)


def test_invalid_arguments():
    with pytest.raises(ValueError, match=r'num_classes must be an integer >= 2 \(got'):
        SoftmaxCrossEntropyLoss(1)
    with pytest.raises(ValueError, match=r'smoothing must be in \[0, 1\) \(got 1.0\)'):
        SoftmaxCrossEntropyLoss(3, 1.0)
