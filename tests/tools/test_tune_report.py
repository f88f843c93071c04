"""The trials table says why each trial ended as it did."""
from optuna.trial import TrialState
from tune_studies import FAILURE, PRUNED, trials_ended_every_way

from common.tools.tune.report import trials_table


def test_the_note_gives_the_failure_the_pruning_or_the_interruption():
    study = trials_ended_every_way()
    running = study.ask()
    running.suggest_float('x', 0, 1)
    table = trials_table(study)
    assert list(table['state']) == ['complete', 'fail', 'fail', 'pruned', 'running']
    notes = list(table['note'])
    assert notes[0] == '' and notes[1] == FAILURE
    assert notes[2].startswith('interrupted') and 'not counted' in notes[2]
    assert notes[3] == PRUNED and notes[4] == 'running'
    assert study.trials[4].state == TrialState.RUNNING
