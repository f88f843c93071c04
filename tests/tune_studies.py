"""Optuna studies whose trials ended in every way a tuning study records, for the tests of
the budget count and of the trials table."""
import optuna

FAILURE = 'fold 1: the loss became NaN'
PRUNED = 'R@1 3.00 at step 1 is below the median'


def trials_ended_every_way():
    """An in-memory study of four trials: 0 complete, 1 failed with a reason (recorded as
    the objective records one), 2 failed without one (as a killed worker's), 3 pruned with
    its reason."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction='maximize')

    def outcome(trial):
        trial.suggest_float('x', 0, 1)
        if trial.number == 1:
            trial.set_user_attr('failure', FAILURE)
            raise RuntimeError('failed')
        if trial.number == 2:
            raise RuntimeError('interrupted')
        if trial.number == 3:
            trial.set_user_attr('pruned', PRUNED)
            raise optuna.TrialPruned()
        return 1.0

    study.optimize(outcome, n_trials=4, catch=(RuntimeError,))
    return study
