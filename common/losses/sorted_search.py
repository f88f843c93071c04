"""Vectorised binary search in sorted rows (NDArray and Symbol)."""

# Halving steps of :func:`count_reached`: rows of up to 2^20 - 1 entries, far beyond any
# batch whose B x B matrices fit in memory. A fixed count, because a hybridized graph
# does not know the batch size.
SEARCH_STEPS = 20


def count_reached(F, ascending, queries, strict=False):
    """For each query q[i, j], how many entries of row i of ``ascending`` are <= q
    (``strict``: < q); the rows must be sorted ascending.

    A binary search, vectorised over all queries: SEARCH_STEPS steps of O(B x Q) each, in
    place of the B x Q x W comparison cube. The result is in the queries' dtype.
    """
    rows = F.broadcast_like(F.contrib.arange_like(queries, axis=0).reshape((-1, 1)), queries)
    first_row = F.slice_axis(ascending, axis=0, begin=0, end=1)
    width = F.sum(F.ones_like(first_row), axis=1, keepdims=True)             # (1, 1): W
    count = F.zeros_like(queries)
    for step in (2 ** s for s in reversed(range(SEARCH_STEPS))):
        trial = count + step
        probe = F.gather_nd(ascending,
                            F.stack(rows, F.broadcast_minimum(trial, width) - 1, axis=0))
        reached = probe < queries if strict else probe <= queries
        count = count + step * F.broadcast_lesser_equal(trial, width) * reached
    return count
