"""The ranges a hyper-parameter search draws options from, declared by each script.

A recipe's ``search_space(args)`` maps option names (argparse ``dest``: ``lr``,
``margin``, ``ms_alpha``) to a :class:`Range` or :class:`Choice`; ``python -m
common.tools.tune`` samples them and a ``--space`` file (JSON or YAML) overrides
them with entries of the same shape as :func:`parse_entry` reads. This module
knows nothing of the search library: the tool translates the ranges.
"""
from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Range:
    """Numbers from ``low`` to ``high``, both included; ``log``: uniform in the logarithm
    (learning rates, scales); ``integer``: whole numbers only."""
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def bounds(self):
        return (self.low, self.high)

    def describe(self):
        return '%s %g..%g' % ('log-uniform' if self.log else 'integers' if self.integer
                              else 'uniform', self.low, self.high)


@dataclass(frozen=True)
class Choice:
    """One of a few values (a switch, a loss form)."""
    values: Tuple

    def bounds(self):
        return self.values

    def describe(self):
        return 'one of %s' % ', '.join(str(v) for v in self.values)


def log_uniform(low, high):
    return Range(low, high, log=True)


def uniform(low, high):
    return Range(low, high)


def integers(low, high):
    return Range(low, high, integer=True)


def parse_entry(name, entry):
    """A ``--space`` file's entry: ``{"low": L, "high": H}`` with optional ``"log": true``
    or ``"int": true``, or ``{"choices": [...]}``, or a bare value (the option fixed at it:
    a one-value choice). Raises ValueError naming ``name``."""
    if not isinstance(entry, dict):
        if isinstance(entry, (list, tuple)) or entry is None:
            raise ValueError('%s: give {"low": L, "high": H}, {"choices": [...]} or one value '
                             '(got %r)' % (name, entry))
        return Choice((entry,))
    keys = set(entry)
    if keys == {'choices'}:
        values = entry['choices']
        if not isinstance(values, list) or not values:
            raise ValueError('%s: "choices" must be a non-empty list (got %r)' % (name, values))
        return Choice(tuple(values))
    unknown = keys - {'low', 'high', 'log', 'int'}
    if unknown or not {'low', 'high'} <= keys:
        raise ValueError('%s: expected the keys low, high and optionally log or int (or '
                         'choices); got %s' % (name, ', '.join(sorted(keys))))
    low, high = entry['low'], entry['high']
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
        raise ValueError('%s: low and high must be numbers (got %r, %r)' % (name, low, high))
    if not low < high:
        raise ValueError('%s: low %g must be below high %g' % (name, low, high))
    log, integer = bool(entry.get('log')), bool(entry.get('int'))
    if log and low <= 0:
        raise ValueError('%s: a log range needs low > 0 (got %g)' % (name, low))
    if integer and not (low == int(low) and high == int(high)):
        raise ValueError('%s: an integer range needs whole bounds (got %g, %g)'
                         % (name, low, high))
    return Range(int(low) if integer else low, int(high) if integer else high, log, integer)
