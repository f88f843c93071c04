import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from common.losses import FacilityLocationLoss
from common.losses import facility_location as impl
from loss_checks import (
    assert_finite,
    assert_matches_reference,
    degenerate_batches,
    make_block,
    run_block,
)
from references import facility_location as ref


def _ints(seq):
    return [int(v) for v in seq]


def _random_case(seed):
    """Small random batch for the combinatorial helpers: B in 4..14, 2..5 classes drawn."""
    rng = np.random.RandomState(seed)
    size = rng.randint(4, 15)
    labels = rng.randint(0, rng.randint(2, 6), size)
    x = rng.randn(size, 3)
    start = _ints(rng.permutation(size)[:len(set(labels))])
    return np.array(ref.distances(x)), labels, start


# (seed, gamma): every random case, with the smallest decision gap of the reference run
# (greedy + PAM from its result, and PAM from a random start). Gap 0 = an exact tie.
HELPER_CASES = [(seed, gamma) for seed in range(30) for gamma in (0.0, 1.0, 3.0)]


def _gaps(seed, gamma):
    D, labels, start = _random_case(seed)
    return (ref.decision_gap(D, labels, gamma),
            ref.decision_gap(D, labels, gamma, medoids=start))


def _check_helpers(seed, gamma):
    D, labels, start = _random_case(seed)
    want = ref.greedy_medoids(D, labels, gamma)
    got = _ints(impl.greedy_medoids(D, labels, gamma))
    msg = 'seed %d, gamma %g, labels %s' % (seed, gamma, list(labels))
    assert got == want, 'greedy ' + msg
    for initial in (want, start):
        for iterations in (1, 5):
            expected = ref.pam_refine(D, labels, initial, gamma, iterations)
            result = _ints(impl.pam_refine(D, labels, list(initial), gamma, iterations))
            assert result == expected, 'pam from %s, %d iterations, %s' % (initial, iterations,
                                                                          msg)


# ---------------------------------------------------------------------------------------------
# 1. NMI

def _labelings():
    rng = np.random.RandomState(0)
    yield [0, 0, 0, 0], [0, 0, 0, 0]              # both one cluster: 1
    yield [5, 5, 5], [2, 2, 2]
    yield [0], [0]
    yield [0, 0, 0, 0], [0, 1, 2, 3]              # one side one cluster: 0
    yield [0, 1, 2, 3], [7, 7, 7, 7]
    yield [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]        # all singletons
    yield [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]
    yield [0, 1, 2, 3, 4, 5], [0, 0, 1, 1, 2, 2]
    yield [3, 3, 9, 9, 1], [1, 1, 0, 0, 2]        # same partition, other names
    for _ in range(60):
        n = rng.randint(2, 16)
        yield rng.randint(0, rng.randint(1, 7), n), rng.randint(0, rng.randint(1, 7), n)


@pytest.mark.parametrize('a,b', list(_labelings()))
def test_nmi_matches_reference_and_sklearn(a, b):
    want = ref.nmi(a, b)
    sk = normalized_mutual_info_score(a, b, average_method='geometric')
    assert want == pytest.approx(sk, rel=1e-12, abs=1e-12)
    assert float(impl.nmi(np.asarray(a), np.asarray(b))) == pytest.approx(want, rel=1e-12,
                                                                         abs=1e-12)


# ---------------------------------------------------------------------------------------------
# 2. Combinatorial helpers

def test_assign_matches_reference_including_ties():
    rng = np.random.RandomState(1)
    for _ in range(40):
        size = rng.randint(3, 12)
        # Integer distances: many exact ties between medoids (the smallest k wins).
        D = rng.randint(0, 4, (size, size)).astype(np.float64)
        D = D + D.T
        np.fill_diagonal(D, 0.0)
        medoids = _ints(rng.permutation(size)[:rng.randint(1, size + 1)])
        assert _ints(impl.assign(D, medoids)) == ref.assign(D, medoids), (D, medoids)


def test_helpers_match_reference_on_generic_inputs():
    """No exact ties: every decision of the reference has a clear winner."""
    checked = 0
    for seed, gamma in HELPER_CASES:
        if min(_gaps(seed, gamma)) > 1e-9:
            _check_helpers(seed, gamma)
            checked += 1
    assert checked >= 20


def test_helpers_break_exact_ties_to_the_smallest_index():
    """Candidates whose scores add up the same distances (the two points of a two-member
    cluster, an isolated pair in the greedy step) tie exactly; the smallest index wins.
    Summing a candidate's distances in index order can break such a tie by one ulp."""
    checked = 0
    for seed, gamma in HELPER_CASES:
        if min(_gaps(seed, gamma)) == 0.0:
            _check_helpers(seed, gamma)
            checked += 1
    assert checked >= 20


def test_ties_on_integer_distances():
    # Points on a line at integer positions: all sums exact, ties everywhere (gamma 0).
    rng = np.random.RandomState(2)
    for _ in range(20):
        size = rng.randint(4, 11)
        pos = rng.randint(0, 6, size).astype(np.float64)
        D = np.abs(pos[:, None] - pos[None, :])
        labels = rng.randint(0, rng.randint(2, 4), size)
        want = ref.greedy_medoids(D, labels, 0.0)
        assert _ints(impl.greedy_medoids(D, labels, 0.0)) == want, (pos, labels)
        assert (_ints(impl.pam_refine(D, labels, want, 0.0, 5))
                == ref.pam_refine(D, labels, want, 0.0, 5)), (pos, labels)


def _separated(seed, sizes, dim=3, separation=50.0, spread=1.0):
    rng = np.random.RandomState(seed)
    labels = np.concatenate([np.full(n, k) for k, n in enumerate(sizes)])
    centres = separation * np.eye(len(sizes), max(dim, len(sizes)))[:, :dim]
    x = centres[labels] + spread * rng.rand(len(labels), dim)
    order = rng.permutation(len(labels))
    return x[order], labels[order]


@pytest.mark.parametrize('seed,sizes', [(0, [3, 3, 3]), (1, [2, 3]), (2, [4, 4]),
                                        (3, [1, 2, 3, 2]), (4, [5, 2, 2])])
@pytest.mark.parametrize('gamma', [0.0, 1.0, 3.0])
def test_greedy_and_pam_are_optimal_on_well_separated_classes(seed, sizes, gamma):
    """Far-apart tight classes: greedy covers one class per step, PAM then moves each medoid
    to its class medoid, which maximises F + gamma (1 - NMI) over all subsets."""
    x, labels = _separated(seed, sizes)
    D = np.array(ref.distances(x))
    best = ref.exhaustive_best(D, labels, gamma)
    for module in (ref, impl):
        medoids = _ints(module.pam_refine(D, labels, _ints(module.greedy_medoids(D, labels, gamma)),
                                          gamma, 5))
        assert ref.objective(D, labels, medoids, gamma) == pytest.approx(best, rel=1e-12), module
    assert ref.facility_location_loss(x, labels, gamma) < 1e-9


def test_greedy_never_beats_the_exhaustive_optimum():
    for seed in range(25):
        rng = np.random.RandomState(100 + seed)
        size = rng.randint(3, 9)
        labels = rng.randint(0, rng.randint(2, 4), size)
        D = np.array(ref.distances(rng.randn(size, 2)))
        for gamma in (0.0, 1.0, 3.0):
            best = ref.exhaustive_best(D, labels, gamma)
            for module in (ref, impl):
                greedy = _ints(module.greedy_medoids(D, labels, gamma))
                refined = _ints(module.pam_refine(D, labels, greedy, gamma, 5))
                for medoids in (greedy, refined):
                    assert len(medoids) == len(set(labels)) == len(set(medoids))
                    assert ref.objective(D, labels, medoids, gamma) <= best + 1e-12


# ---------------------------------------------------------------------------------------------
# 3. Loss value and gradient

def _clustered(seed, size, dim, classes, spread, label_step=1):
    rng = np.random.RandomState(seed)
    labels = np.arange(size) % classes
    rng.shuffle(labels)
    x = rng.randn(classes, dim)[labels] * spread + rng.randn(size, dim)
    return x, labels * label_step + 2


# Chosen so that every greedy / PAM decision has a clear winner (gap >= 1e-2, checked
# below): float32 and the finite-difference steps cannot flip a medoid.
# (seed, size, dim, classes, spread, label_step, gamma, pam)
LOSS_CASES = [(7, 9, 8, 3, 0.0, 1, 1.0, 5), (7, 9, 8, 3, 0.0, 1, 0.5, 0),
              (3, 10, 5, 2, 1.0, 1, 0.5, 5), (3, 10, 5, 2, 1.0, 1, 1.0, 0),
              (4, 14, 4, 4, 0.7, 3, 1.0, 5), (4, 14, 4, 4, 0.7, 3, 1.0, 0),
              (6, 16, 6, 4, 0.0, 1, 0.5, 5)]


@pytest.mark.parametrize('seed,size,dim,classes,spread,label_step,gamma,pam', LOSS_CASES)
def test_matches_reference(seed, size, dim, classes, spread, label_step, gamma, pam):
    x, labels = _clustered(seed, size, dim, classes, spread, label_step)
    assert ref.decision_gap(ref.distances(x), labels, gamma, pam) > 1e-2
    assert ref.facility_location_loss(x, labels, gamma, pam) > 0.1   # away from the hinge
    assert_matches_reference(lambda: FacilityLocationLoss(gamma, pam),
                             lambda z, y: ref.facility_location_loss(z, y, gamma, pam),
                             x, labels)


def test_pam_changes_the_loss_in_the_cases_above():
    x, labels = _clustered(*LOSS_CASES[4][:6])
    assert (ref.facility_location_loss(x, labels, 1.0, 0)
            != pytest.approx(ref.facility_location_loss(x, labels, 1.0, 5)))


# ---------------------------------------------------------------------------------------------
# 4. Degenerate batches

@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(FacilityLocationLoss, x, labels)


# ---------------------------------------------------------------------------------------------
# 5. Sign and the separated limit

def test_loss_is_non_negative():
    for gamma in (0.0, 1.0):
        block = make_block(lambda: FacilityLocationLoss(gamma), True, 'float32')
        for seed in range(3):
            rng = np.random.RandomState(200 + seed)
            size = rng.randint(4, 13)
            x, labels = rng.randn(size, 4) * 0.5, rng.randint(0, 3, size)
            value, _, _ = run_block(block, x, labels, 'float32')
            assert value.size == 1 and float(value.reshape(-1)[0]) >= 0.0


@pytest.mark.parametrize('seed,sizes,gamma', [(0, [3, 4, 3], 0.1), (1, [2, 5], 1.0),
                                              (2, [3, 3, 3, 3], 0.5)])
def test_zero_on_far_apart_classes(seed, sizes, gamma):
    """Classes of diameter < r far apart (separation s > gamma + 2 r (B + 1)): a medoid set
    that misses a class loses more than s in F, so F + gamma Delta < F~; a set with one
    medoid per class assigns every point to its own class (NMI 1) and has F <= F~. Either
    way the hinge is inactive, so the loss (and, at the hinge, the gradient of F - F~ with
    the class medoids, identical terms) is zero, whatever greedy and PAM return."""
    x, labels = _separated(seed, sizes, dim=4, separation=100.0, spread=0.5)
    assert ref.facility_location_loss(x, labels, gamma) < 1e-9
    for hybridize in (False, True):
        value, grad, _ = run_block(make_block(lambda: FacilityLocationLoss(gamma), hybridize),
                                   x, labels)
        assert abs(float(value.reshape(-1)[0])) < 1e-9
        np.testing.assert_allclose(grad, 0.0, atol=1e-9)
