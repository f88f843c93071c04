import faiss
import numpy as np
import pytest

from common.evaluation.faiss_random import RandomGenerator, rand_perm, random_init


def test_the_generator_is_std_mt19937():
    # The C++ standard's check: the 10000th draw of a default-seeded (5489) mt19937.
    assert int(RandomGenerator(5489).raw(10000)[-1]) == 4123659995


def test_seeds_keep_their_low_32_bits_as_faiss_casts_them():
    assert (RandomGenerator(2 ** 32 + 7).raw(5) == RandomGenerator(7).raw(5)).all()


def test_rand_perm_is_a_permutation():
    perm = rand_perm(1000, 3)
    assert sorted(perm.tolist()) == list(range(1000)) and perm.tolist() != list(range(1000))


@pytest.mark.parametrize('n,k,seed', [(5000, 37, 0), (300, 299, 5), (64, 1, 1234)])
def test_random_start_is_the_one_faiss_kmeans_picks(n, k, seed):
    x = np.random.RandomState(seed).randn(n, 6).astype(np.float32)
    km = faiss.Kmeans(6, k, niter=0, seed=seed, max_points_per_centroid=n,
                      min_points_per_centroid=1)
    km.train(x)
    np.testing.assert_array_equal(random_init(x, k, seed), km.centroids)
