"""The ranges of loss parameters, stated once per loss.

A loss class lists its checks in ``parameter_checks`` ({parameter: check}) and,
for rules that tie parameters together, ``check_together(values)``. Its
constructor calls :func:`check_parameters` and so refuses bad values with a
:class:`ParameterError` naming the parameter; the command line runs the same
checks on its options before anything is built, naming the option instead.
"""
from dataclasses import dataclass
from typing import Callable


class ParameterError(ValueError):
    """``parameter`` must satisfy ``requirement`` and does not (it is ``value``)."""

    def __init__(self, parameter, requirement, value):
        self.parameter, self.requirement, self.value = parameter, requirement, value
        super().__init__(self.message(parameter))

    def message(self, name):
        """The error with the parameter called ``name`` (e.g. its command-line option)."""
        return '%s must %s (got %r)' % (name, self.requirement, self.value)


@dataclass(frozen=True)
class Check:
    holds: Callable
    requirement: str


def at_least(low, integer=False):
    if integer:
        return Check(lambda v: int(v) == v and v >= low, 'be an integer >= %d' % low)
    return Check(lambda v: v >= low, 'be >= %g' % low)


def positive():
    return Check(lambda v: v > 0, 'be positive')


def in_interval(low, high, closed_high=False):
    """low <= v < high (<= high when ``closed_high``)."""
    return Check(lambda v: low <= v <= high if closed_high else low <= v < high,
                 'be in [%g, %g%s' % (low, high, ']' if closed_high else ')'))


def strictly_between(low, high):
    return Check(lambda v: low < v < high, 'be between %g and %g' % (low, high))


def one_of(*choices):
    return Check(lambda v: v in choices, 'be one of %s' % ', '.join(map(repr, choices)))


def check_parameters(cls, **values):
    """Refuse the first of ``values`` that fails ``cls.parameter_checks`` (None means not
    given), then the rules of ``cls.check_together``; returns ``values``."""
    checks = getattr(cls, 'parameter_checks', {})
    for name, value in values.items():
        if value is not None and name in checks and not checks[name].holds(value):
            raise ParameterError(name, checks[name].requirement, value)
    together = getattr(cls, 'check_together', None)
    if together is not None:
        together(values)
    return values
