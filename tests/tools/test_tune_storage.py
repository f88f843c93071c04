"""A study's storage and sampling: seeded per trial, resumable, budget counting."""
import multiprocessing

import optuna
import pytest
from optuna.trial import TrialState
from tune_studies import trials_ended_every_way

from common.tools.tune.storage import counted_trials, make_sampler, open_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float('x', 1e-5, 1e-2, log=True)
    n = trial.suggest_int('n', 1, 8)
    return -abs(x - 1e-3) * 100 - abs(n - 4)


def drawn(study):
    return [(t.params['x'], t.params['n']) for t in study.trials]


def test_same_seed_same_trials_and_a_resumed_study_continues_the_sequence():
    whole = optuna.create_study(sampler=make_sampler(7, 8), direction='maximize')
    whole.optimize(objective, n_trials=6)  # 2 random start-up trials, then TPE
    storage = optuna.storages.InMemoryStorage()
    first = optuna.create_study(study_name='s', storage=storage, sampler=make_sampler(7, 8),
                                direction='maximize')
    first.optimize(objective, n_trials=3)
    resumed = optuna.load_study(study_name='s', storage=storage, sampler=make_sampler(7, 8))
    resumed.optimize(objective, n_trials=3)  # a new sampler, as a rerun of the command makes
    assert drawn(resumed) == drawn(whole)
    assert len(set(drawn(whole))) == 6  # no trial redraws another's values
    other = optuna.create_study(sampler=make_sampler(8, 8), direction='maximize')
    other.optimize(objective, n_trials=2)
    assert drawn(other) != drawn(whole)[:2]


def test_interrupted_trials_do_not_use_up_the_budget():
    study = trials_ended_every_way()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL,
                                               TrialState.FAIL, TrialState.PRUNED]
    assert counted_trials(study) == 3  # trial 2 failed without a reason: interrupted


def test_an_unreachable_storage_is_one_line_naming_it():
    with pytest.raises(ValueError, match=r'^--storage nosuchdb://x: cannot open it \('):
        open_storage('nosuchdb://x')


WORKERS = 6


def open_at_barrier(url, barrier, queue):
    barrier.wait()
    try:
        storage = open_storage(url)
        storage.get_all_studies()
        queue.put('ok')
    except Exception as e:  # reported to the test, which names it
        queue.put('%s: %s' % (type(e).__name__, e))


@pytest.mark.parametrize('repeat', range(3))
def test_workers_opening_a_new_sqlite_database_together_all_succeed(tmp_path, repeat):
    url = 'sqlite:///%s' % (tmp_path / 'study.db')
    context = multiprocessing.get_context('spawn')
    barrier, queue = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=open_at_barrier, args=(url, barrier, queue))
               for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert results == ['ok'] * WORKERS, results
