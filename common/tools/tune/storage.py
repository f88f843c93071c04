"""Where a study lives and how it samples: the SQLite default or any SQLAlchemy URL, the
trial-seeded TPE sampler and the median pruner."""
import contextlib
import fcntl
import os
import time
import warnings

import optuna
from optuna.samplers import RandomSampler, TPESampler
from optuna.samplers._lazy_random_state import LazyRandomState
from optuna.trial import TrialState

# Seconds between a running trial's heartbeats; a trial silent for GRACE seconds (its worker
# was killed) is marked failed by the next worker to start a trial, and not counted.
HEARTBEAT = 30
GRACE = 120


def study_dir(results_dir, study):
    return os.path.join(results_dir, study)


def default_storage(results_dir, study, create=False):
    """The SQLite file of a study under the results folder: embedded, nothing to start.
    Only ``create`` (a run) makes it; reading a study that is not there is a ValueError."""
    folder = study_dir(results_dir, study)
    path = os.path.abspath(os.path.join(folder, 'study.db'))
    if create:
        os.makedirs(folder, exist_ok=True)
    elif not os.path.isfile(path):
        raise ValueError('--study %s: no such study in %s (give --storage if it lives in '
                         'another database)' % (study, path))
    return 'sqlite:///%s' % path


def open_storage(url, attempts=5):
    """An RDB storage with heartbeats; SQLite waits for a lock held by another worker
    instead of failing at once.

    Workers started together on a new database race to create its tables: the loser sees
    "table ... already exists" or a duplicate schema version (both seen with two workers on
    one SQLite file). On SQLite the workers take turns through a lock file beside the
    database; on a server the loser tries again, and then finds the tables made."""
    sqlite = url.startswith('sqlite')
    engine = {'connect_args': {'timeout': 60}} if sqlite else {}
    for attempt in range(1, attempts + 1):
        try:
            with _creation_lock(url if sqlite else None), warnings.catch_warnings():
                # heartbeats are "experimental" since Optuna 2.9
                warnings.simplefilter('ignore', optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=engine,
                                                  heartbeat_interval=HEARTBEAT,
                                                  grace_period=GRACE)
        except Exception as e:  # SQLAlchemy's and the drivers' errors share no useful base
            text = repr(e) + str(e)
            if attempt == attempts or not any(race in text for race in RACES):
                raise ValueError('--storage %s: cannot open it (%s)' % (
                    url, str(e).splitlines()[0] if str(e) else type(e).__name__)) from None
            time.sleep(attempt)


# What a worker sees when another created the same tables a moment before it.
RACES = ('IntegrityError', 'already exists', 'UniqueViolation', 'Duplicate')


@contextlib.contextmanager
def _creation_lock(sqlite_url):
    """An exclusive lock on ``<database>.lock`` while a SQLite storage is opened (and its
    tables made); nothing for other databases, or an in-memory SQLite one."""
    path = sqlite_url[len('sqlite:///'):] if sqlite_url else ''
    if not path or path == ':memory:':
        yield
        return
    with open(path + '.lock', 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class TrialSeededTPE(TPESampler):
    """TPE whose random draws for trial n are seeded with (seed, n): a study is reproducible
    given the order of its trials, a resumed study does not redraw its first trials' values,
    and workers started together do not draw the same ones. Optuna only seeds a sampler
    once; its generators are private attributes (optuna 5.1), reset here per trial."""

    def __init__(self, seed, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.base_seed = seed

    def before_trial(self, study, trial):
        seed = (self.base_seed * 1000003 + trial.number) % 2 ** 32
        self._rng = LazyRandomState(seed)
        self._random_sampler = RandomSampler(seed=seed)
        super().before_trial(study, trial)


def make_sampler(seed, trials):
    # TPE models the trials only after its random start-up ones: a quarter of a small budget
    # (2 of 8), at most Optuna's default 10.
    return TrialSeededTPE(seed, n_startup_trials=max(2, min(10, trials // 4)))


def make_pruner(enabled):
    """The median rule: stop a trial whose validation metric after an epoch is below the
    median of the earlier trials' at the same epoch (once two trials have finished)."""
    if not enabled:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)


def counted(trial):
    """Whether a trial uses up the budget: finished, pruned, or failed with a reason (a
    trial interrupted by ^C or a killed worker does not, and another takes its place)."""
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
        trial.state == TrialState.FAIL and 'failure' in trial.user_attrs)


def counted_trials(study):
    return sum(counted(t) for t in study.get_trials(deepcopy=False))
