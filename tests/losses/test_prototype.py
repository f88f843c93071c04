import numpy as np
import pytest

from common.losses import PrototypeLoss
from loss_checks import assert_finite, assert_matches_reference, make_block, run_block, unit_rows
from references.prototype import prototype_loss

# (label values of the episode's classes, num_support, num_query, dim, seed)
CASES = [([7, 2, 40], 2, 3, 4, 0),
         ([0, 1], 1, 1, 3, 1),
         ([5, 11, 3, 9], 3, 2, 5, 2),
         ([40, 2, 7, 13, 0], 1, 4, 8, 3)]


def episode_labels(classes, num_support, num_query):
    """[supports, class-major; queries, class-major in the same class order]."""
    classes = np.asarray(classes)
    return np.concatenate([np.repeat(classes, num_support), np.repeat(classes, num_query)])


def factory(classes, num_support, num_query):
    return lambda: PrototypeLoss(len(classes), num_support, num_query)


def reference(classes, num_support, num_query):
    return lambda z, y: prototype_loss(z, y, len(classes), num_support, num_query)


@pytest.mark.parametrize('classes,num_support,num_query,dim,seed', CASES)
def test_matches_reference(classes, num_support, num_query, dim, seed):
    rng = np.random.RandomState(seed)
    labels = episode_labels(classes, num_support, num_query)
    x = rng.randn(len(labels), dim)
    assert_matches_reference(factory(classes, num_support, num_query),
                             reference(classes, num_support, num_query), x, labels)


def test_matches_reference_on_unit_embeddings_near_their_prototypes():
    rng = np.random.RandomState(4)
    classes, ns, nq = [3, 8, 1], 4, 2
    centres = 2 * unit_rows(rng, 3, 6)
    labels = episode_labels(classes, ns, nq)
    owner = np.concatenate([np.repeat(np.arange(3), ns), np.repeat(np.arange(3), nq)])
    x = centres[owner] + 0.3 * rng.randn(len(labels), 6)
    assert_matches_reference(factory(classes, ns, nq), reference(classes, ns, nq), x, labels)


def degenerate_episodes(classes=(7, 2, 40), num_support=2, num_query=2, dim=6, seed=0):
    """(name, embeddings, labels) episodes in the class-major layout."""
    rng = np.random.RandomState(seed)
    n_class = len(classes)
    labels = episode_labels(classes, num_support, num_query)
    n = len(labels)
    unit = unit_rows(rng, n, dim)
    owner = np.concatenate([np.repeat(np.arange(n_class), num_support),
                            np.repeat(np.arange(n_class), num_query)])
    yield 'all equal', np.tile(unit[:1], (n, 1)), labels
    yield 'all zero', np.zeros((n, dim)), labels
    yield 'large magnitude', 1e3 * unit, labels
    yield 'duplicates within classes', unit[owner], labels
    yield 'duplicates across classes', unit[(owner + 1) % n_class], labels
    yield 'two classes share a prototype', unit[np.minimum(owner, 1)], labels
    yield 'queries far from everything', np.concatenate(
        [unit[:n_class * num_support], 1e3 * unit[n_class * num_support:]]), labels
    yield 'very close points', unit[:1] + 1e-7 * rng.randn(n, dim), labels


@pytest.mark.parametrize('name,x,labels', list(degenerate_episodes()))
def test_finite_on_degenerate_episodes(name, x, labels):
    assert_finite(factory((7, 2, 40), 2, 2), x, labels)
    assert_finite(factory((7, 2, 40), 2, 2), x, labels, dtype='float64')


@pytest.mark.parametrize('name,x,labels', list(degenerate_episodes()))
def test_value_on_degenerate_episodes(name, x, labels):
    for hybridize in (False, True):
        value, _, _ = run_block(make_block(factory((7, 2, 40), 2, 2), hybridize), x, labels)
        np.testing.assert_allclose(value, prototype_loss(x, labels, 3, 2, 2), rtol=1e-6,
                                   atol=1e-9)


def test_one_shot_one_query_finite():
    rng = np.random.RandomState(5)
    labels = episode_labels([9, 4], 1, 1)
    x = np.tile(rng.randn(1, 5), (4, 1))
    assert_finite(factory([9, 4], 1, 1), x, labels)


def test_all_equal_embeddings_give_log_num_classes():
    labels = episode_labels([7, 2, 40, 5], 2, 3)
    x = np.ones((len(labels), 4))
    value, _, _ = run_block(make_block(factory([7, 2, 40, 5], 2, 3), True), x, labels)
    np.testing.assert_allclose(value, np.log(4), rtol=1e-9)


@pytest.mark.parametrize('kwargs,name', [
    (dict(num_classes=1, num_support=2, num_query=2), 'num_classes'),
    (dict(num_classes=0, num_support=2, num_query=2), 'num_classes'),
    (dict(num_classes=3, num_support=0, num_query=2), 'num_support'),
    (dict(num_classes=3, num_support=2, num_query=0), 'num_query'),
    (dict(num_classes=3, num_support=-1, num_query=2), 'num_support'),
    (dict(num_classes=3, num_support=2.5, num_query=2), 'num_support'),
])
def test_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PrototypeLoss(**kwargs)
