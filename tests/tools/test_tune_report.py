"""The trials table says why each trial ended as it did."""
import optuna
from optuna.trial import TrialState

from common.tools.tune.report import trials_table

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_note_gives_the_failure_the_pruning_or_the_interruption():
    study = optuna.create_study(direction='maximize')

    def outcome(trial):
        trial.suggest_float('x', 0, 1)
        if trial.number == 1:
            trial.set_user_attr('failure', 'fold 1: the loss became NaN')
            raise RuntimeError('failed')
        if trial.number == 2:
            raise RuntimeError('interrupted')  # no reason recorded: as a killed worker
        if trial.number == 3:
            trial.set_user_attr('pruned', 'R@1 3.00 at step 1 is below the median')
            raise optuna.TrialPruned()
        return 1.0

    study.optimize(outcome, n_trials=4, catch=(RuntimeError,))
    running = study.ask()
    running.suggest_float('x', 0, 1)
    table = trials_table(study)
    assert list(table['state']) == ['complete', 'fail', 'fail', 'pruned', 'running']
    notes = list(table['note'])
    assert notes[0] == '' and notes[1] == 'fold 1: the loss became NaN'
    assert notes[2].startswith('interrupted') and 'not counted' in notes[2]
    assert notes[3] == 'R@1 3.00 at step 1 is below the median' and notes[4] == 'running'
    assert study.trials[4].state == TrialState.RUNNING
