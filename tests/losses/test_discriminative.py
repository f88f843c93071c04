import numpy as np
import pytest

from common.losses import DiscriminativeLoss
from common.losses.discriminative import discriminative_scale
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.discriminative import discriminative_loss, playground_scale

# (batch size, num_classes, scale or None for the playground scale, seed)
CASES = [(6, 3, 1.0, 0), (8, 4, 0.5, 1), (12, 5, None, 2), (16, 8, 2.0, 3), (9, 2, None, 4),
         (5, 6, 1e-2, 5)]


@pytest.mark.parametrize('n,classes,scale,seed', CASES)
def test_matches_reference(n, classes, scale, seed):
    rng = np.random.RandomState(seed)
    scale = playground_scale(n, classes) if scale is None else scale
    x, labels = 0.5 * rng.randn(n, classes), rng.randint(0, classes, n)
    assert_matches_reference(lambda: DiscriminativeLoss(classes, scale),
                             lambda z, y: discriminative_loss(z, y, classes, scale), x, labels)


def test_matches_reference_near_the_vertices():
    rng = np.random.RandomState(6)
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    x = np.eye(4)[labels] + 0.05 * rng.randn(8, 4)
    assert_matches_reference(lambda: DiscriminativeLoss(4, 3.0),
                             lambda z, y: discriminative_loss(z, y, 4, 3.0), x, labels)


@pytest.mark.parametrize('n,classes', [(32, 8), (64, 4), (10, 4), (7, 3), (9, 2), (8, 8),
                                       (4, 8), (1, 2), (5, 100)])
def test_scale_matches_playground(n, classes):
    got, want = discriminative_scale(n, classes), playground_scale(n, classes)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_scale_not_positive_when_batch_at_most_classes():
    assert discriminative_scale(8, 8) == 0
    assert discriminative_scale(4, 8) < 0
    np.testing.assert_allclose(discriminative_scale(4, 8), -5.25, rtol=1e-12)
    with pytest.raises(ValueError):
        DiscriminativeLoss(8, discriminative_scale(8, 8))
    with pytest.raises(ValueError):
        DiscriminativeLoss(8, discriminative_scale(4, 8))


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches(dim=6)))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(lambda: DiscriminativeLoss(6, playground_scale(36, 6)), x, labels)


@pytest.mark.parametrize('scale', [0, 0.0, -1.0])
def test_scale_must_be_positive(scale):
    with pytest.raises(ValueError, match='scale'):
        DiscriminativeLoss(4, scale)


@pytest.mark.parametrize('classes', [1, 0])
def test_needs_two_classes(classes):
    with pytest.raises(ValueError, match=r'num_classes must be an integer >= 2 \(got'):
        DiscriminativeLoss(classes, 1.0)
