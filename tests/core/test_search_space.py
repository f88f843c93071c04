"""The ranges a script's search space and a --space file's entries declare."""
import pytest

from common.search_space import Choice, Range, integers, log_uniform, parse_entry


def test_entries_of_each_kind():
    assert parse_entry('lr', {'low': 1e-5, 'high': 1e-3, 'log': True}) == log_uniform(1e-5, 1e-3)
    assert parse_entry('n', {'low': 1, 'high': 8, 'int': True}) == integers(1, 8)
    assert parse_entry('m', {'low': 0.1, 'high': 0.3}) == Range(0.1, 0.3)
    assert parse_entry('soft', {'choices': [True, False]}) == Choice((True, False))
    assert parse_entry('margin', 0.2) == Choice((0.2,))  # fixed at one value


@pytest.mark.parametrize('entry,message', [
    ({'low': 1e-3, 'high': 1e-5}, 'lr: low 0.001 must be below high 1e-05'),
    ({'low': 0, 'high': 1, 'log': True}, 'lr: a log range needs low > 0'),
    ({'low': 0.5, 'high': 2, 'int': True}, 'lr: an integer range needs whole bounds'),
    ({'low': 1, 'hihg': 2}, 'lr: expected the keys low, high'),
    ({'choices': []}, 'lr: "choices" must be a non-empty list'),
    ({'low': 'a', 'high': 2}, 'lr: low and high must be numbers'),
    ([1, 2], r'lr: give \{"low": L, "high": H\}'),
])
def test_malformed_entries_are_one_line_errors_naming_the_parameter(entry, message):
    with pytest.raises(ValueError, match=message):
        parse_entry('lr', entry)
