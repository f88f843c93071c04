import pytest

from common.training.schedule import lr_at_epoch, parse_steps


def test_explicit_steps_and_no_decay():
    assert parse_steps('20,30,40', 60) == [20, 30, 40]
    assert parse_steps('30,20', 60) == [20, 30]
    assert parse_steps('0', 60) == []


def test_periodic_steps():
    assert parse_steps('-4', 12) == [4, 8]       # DREML: decay at epochs 4 and 8
    assert parse_steps('-1', 5) == [2, 3, 4]     # s = 1 starts at epoch 2
    assert parse_steps('-10', 30) == [10, 20]


def test_bad_steps_are_named():
    with pytest.raises(ValueError, match="--steps 'ten'"):
        parse_steps('ten', 10)
    with pytest.raises(ValueError, match='single -N'):
        parse_steps('-2,5', 10)


def test_learning_rate_value():
    steps = [20, 30, 40]
    assert lr_at_epoch(1e-4, 1, steps, 0.5) == 1e-4
    assert lr_at_epoch(1e-4, 19, steps, 0.5) == 1e-4
    assert lr_at_epoch(1e-4, 20, steps, 0.5) == pytest.approx(5e-5)
    assert lr_at_epoch(1e-4, 45, steps, 0.5) == pytest.approx(1.25e-5)
