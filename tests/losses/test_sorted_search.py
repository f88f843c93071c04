"""count_reached, the binary search semi-hard mining and the margin loss's sampler use,
against numpy's searchsorted."""
import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon import HybridBlock

from common.losses.sorted_search import SEARCH_STEPS, count_reached


def count(ascending, queries, strict=False, dtype='float64'):
    return count_reached(mx.nd, mx.nd.array(ascending, dtype=dtype),
                         mx.nd.array(queries, dtype=dtype), strict).asnumpy()


def reference(ascending, queries, strict=False):
    """#{k: row_k <= q} (strict: < q) for every query of every row."""
    side = 'left' if strict else 'right'
    return np.array([np.searchsorted(row, q, side=side) for row, q in zip(ascending, queries)])


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('strict', [False, True])
@pytest.mark.parametrize('rows,width,num_queries,seed', [(5, 7, 7, 0), (3, 16, 4, 1),
                                                         (4, 1, 3, 2), (2, 100, 9, 3)])
def test_matches_searchsorted(rows, width, num_queries, seed, strict, dtype):
    rng = np.random.RandomState(seed)
    ascending = np.sort(rng.randint(0, 6, (rows, width)).astype(dtype), axis=1)   # many ties
    queries = rng.randint(-1, 8, (rows, num_queries)).astype(dtype)
    got = count(ascending, queries, strict, dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, reference(ascending, queries, strict))


def test_ties_strict_and_not():
    row = [[1.0, 1.0, 1.0, 2.0]]
    assert count(row, [[1.0]]).tolist() == [[3]]
    assert count(row, [[1.0]], strict=True).tolist() == [[0]]
    assert count(row, [[2.0]]).tolist() == [[4]]
    assert count(row, [[2.0]], strict=True).tolist() == [[3]]


def test_queries_beyond_the_row():
    row = [[0.5, 1.5, 2.5]]
    assert count(row, [[-10.0, 10.0, 2.5]]).tolist() == [[0, 3, 3]]
    assert count(row, [[-10.0, 10.0, 0.5]], strict=True).tolist() == [[0, 3, 0]]


def test_rows_of_one_entry():
    rows = [[1.0], [3.0]]
    assert count(rows, [[0.0, 1.0, 2.0], [3.0, 4.0, 2.0]]).tolist() == [[0, 1, 1], [1, 1, 0]]
    assert count(rows, [[1.0], [3.0]], strict=True).tolist() == [[0], [0]]


def test_float64_resolves_what_float32_cannot():
    # 1 + 1e-12 is 1 in float32; float64 keeps the entries apart.
    row = [[1.0, 1.0 + 1e-12, 1.0 + 2e-12]]
    assert count(row, [[1.0 + 1e-12]]).tolist() == [[2]]
    assert count(row, [[1.0 + 1e-12]], strict=True).tolist() == [[1]]


def test_a_row_of_the_largest_supported_width():
    width = 2 ** SEARCH_STEPS - 1
    row = np.arange(width, dtype='float64').reshape(1, -1)
    queries = np.array([[-1.0, 0.0, 12345.5, width - 1.0, width + 5.0]])
    np.testing.assert_array_equal(count(row, queries), reference(row, queries))


class Search(HybridBlock):
    def hybrid_forward(self, F, ascending, queries):
        return F.concat(count_reached(F, ascending, queries),
                        count_reached(F, ascending, queries, strict=True), dim=1)


def test_symbol_equals_ndarray():
    rng = np.random.RandomState(4)
    ascending = np.sort(rng.randint(0, 4, (6, 6)).astype('float64'), axis=1)
    queries = rng.randint(-1, 5, (6, 6)).astype('float64')
    block = Search()
    block.hybridize(static_alloc=True, static_shape=True)
    got = block(mx.nd.array(ascending, dtype='float64'),
                mx.nd.array(queries, dtype='float64')).asnumpy()
    np.testing.assert_array_equal(got, np.concatenate([reference(ascending, queries),
                                                       reference(ascending, queries, True)], 1))
