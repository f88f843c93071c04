"""Reductions of loss terms to a loss (or, along ``axis=1``, to one value per anchor).

A reduction is called as ``reduction(F, terms, mask=None, extra=None)``: it keeps
``terms * mask`` (all terms without a mask), sums them along its axis (``None``: all),
adds ``extra`` (a regulariser that shares the normaliser) and divides:

* ``Sum``: by 1;
* ``Mean``: by the number of masked entries (of entries, without a mask);
* ``MeanNonZero``: by the number of kept terms above 0 (pytorch-metric-learning's
  AvgNonZeroReducer);
* ``MeanOverBatch``: per-anchor terms by the batch size, masked anchors counting as 0
  (the official codes' "divide by the batch size").

Counts are clamped at 1, so a reduction over nothing is 0. ``terms`` may be a tuple of
arrays of one shape: they are added, and ``MeanNonZero`` counts each one's non-zero terms.
"""


def divide(F, total, count):
    """total / max(count, 1), broadcasting: a mean that is 0 over nothing."""
    return F.broadcast_div(total, F.maximum(count, 1))


class Reduction:
    def __init__(self, axis=None):
        self.axis = axis

    def _sum(self, F, x):
        return F.sum(x) if self.axis is None else F.sum(x, axis=self.axis)

    def __call__(self, F, terms, mask=None, extra=None):
        parts = terms if isinstance(terms, tuple) else (terms,)
        kept = [t if mask is None else t * mask for t in parts]
        total = self._sum(F, sum(kept[1:], kept[0]))
        if extra is not None:
            total = total + extra
        return self.normalise(F, total, kept, mask)

    def normalise(self, F, total, kept, mask):
        raise NotImplementedError


class Sum(Reduction):
    def normalise(self, F, total, kept, mask):
        return total


class Mean(Reduction):
    def normalise(self, F, total, kept, mask):
        return divide(F, total, self._sum(F, F.ones_like(kept[0]) if mask is None else mask))


class MeanNonZero(Reduction):
    def normalise(self, F, total, kept, mask):
        nonzero = [k > 0 for k in kept]
        return divide(F, total, self._sum(F, sum(nonzero[1:], nonzero[0])))


class MeanOverBatch(Reduction):
    """For a vector of per-anchor terms: their sum over the batch size."""

    def normalise(self, F, total, kept, mask):
        return total / F.sum(F.ones_like(kept[0]))
