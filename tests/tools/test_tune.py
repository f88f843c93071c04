"""common.tools.tune end to end: tiny studies of the small CNN on the embedded glyphs
(trials in this process, and two worker processes on SQLite and on PostgreSQL)."""
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

import optuna
import pytest
from optuna.trial import TrialState

from common.tools.reports.collect import collect_runs
from common.tools.tune.__main__ import main
from common.tools.tune.objective import ReportingEvaluator
from script_runs import ROOT

# Every test trains networks (for a few seconds each) or runs processes.
pytestmark = [pytest.mark.slow, pytest.mark.integration]


def trial_options(glyph_root, *extra):
    """Two epochs of three small batches per fold: seconds per trial."""
    return ['--', '--dataset', 'glyphs', '--data-path', glyph_root, '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--epochs', '2', '--iteration-per-epoch',
            '3', '--batch-size', '20', '--num-workers', '0', '--no-nmi', '--steps', '0',
            *extra]


def tune(results, study, *argv, script='train_margin.py'):
    return main(['run', '--script', os.path.join(ROOT, script), '--study', study,
                 '--results-dir', str(results), *argv])


def load(results, study):
    url = 'sqlite:///%s' % os.path.join(str(results), study, 'study.db')
    return optuna.load_study(study_name=study, storage=url)


def manifest(path):
    with open(path) as f:
        return json.load(f)


def test_tiny_study_end_to_end(tmp_path, glyph_root, capsys):
    results = tmp_path / 'tune'
    tune(results, 'tiny', '--trials', '3', '--folds', '2', *trial_options(glyph_root))
    study = load(results, 'tiny')
    trials = study.get_trials()
    assert [t.number for t in trials] == [0, 1, 2]
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    first = trials[0]  # nothing to prune against yet: both folds ran
    assert len(first.user_attrs['fold_values']) == 2
    assert first.value == pytest.approx(sum(first.user_attrs['fold_values']) / 2)
    assert first.user_attrs['seed'] == 123 and trials[1].user_attrs['seed'] == 124
    # The two folds validated on disjoint classes that together are the training classes.
    folds = [manifest(os.path.join(results, 'tiny', 'trials',
                                   'train_margin_trial0_fold%d.manifest.json' % f))
             for f in (1, 2)]
    val = [set(m['dataset']['validation_classes']) for m in folds]
    assert not val[0] & val[1]
    assert all(m['selection'] == 'validation' for m in folds)
    assert folds[0]['args']['val_fold'] == [1, 2]
    for name in ('trials.md', 'trials.csv', 'history.png', 'importance.png'):
        assert os.path.getsize(os.path.join(results, 'tiny', name)) > 0
    out = capsys.readouterr().out
    assert '[tune] trial 2 ' in out and '3/3 done' in out

    argv = main(['best', '--study', 'tiny', '--results-dir', str(results)])
    printed = capsys.readouterr().out.splitlines()[-1]
    assert printed == 'python ' + ' '.join(argv)
    best = study.best_trial.params
    assert '--lr %.6g' % best['lr'] in printed and '--margin %.6g' % best['margin'] in printed
    assert '--val-fold' not in printed

    main(['best', '--study', 'tiny', '--results-dir', str(results), '--final-runs', '1',
          '--', '--epochs', '3'])  # the options after -- replace the study's
    final, = glob.glob(os.path.join(results, 'tiny', 'final', '*.manifest.json'))
    record = manifest(final)
    assert record['args']['epochs'] == 3 and record['args']['eval_every'] == 3
    assert record['status'] == 'finished' and record['selection'] == 'tuned'
    assert record['tuning'] == {'study': 'tiny', 'trials': 3, 'folds': 2}
    assert 'validation' not in record['dataset']['splits']  # the full training split
    # The reports read the runner's real records as tuned rows (their table of their own).
    assert set(collect_runs([final])['selection']) == {'tuned'}

    # A benchmark's protocol: held-out classes choose the epoch, evaluated as the study did.
    main(['best', '--study', 'tiny', '--results-dir', str(results), '--final-runs', '1',
          '--', '--epochs', '2', '--val-classes', '6', '--log-postfix', 'benchmark'])
    final, = glob.glob(os.path.join(results, 'tiny', 'final', '*benchmark*.manifest.json'))
    record = manifest(final)
    assert record['args']['epochs'] == 2 and record['args']['eval_every'] == 1
    assert record['args']['val_classes'] == 6 and record['selection'] == 'tuned'


def test_an_interrupted_study_resumes(tmp_path, glyph_root, monkeypatch):
    results = tmp_path / 'tune'
    options = ['--trials', '3', '--folds', '1', *trial_options(glyph_root, '--val-classes', '6')]
    evaluate = ReportingEvaluator.__call__

    def interrupt_trial_1(self, net):
        if self.trial.number == 1:
            raise KeyboardInterrupt()
        return evaluate(self, net)

    monkeypatch.setattr(ReportingEvaluator, '__call__', interrupt_trial_1)
    with pytest.raises(SystemExit) as stop:
        tune(results, 'resumed', *options)
    assert stop.value.code == 130
    before = load(results, 'resumed').get_trials()
    assert [t.state for t in before] == [TrialState.COMPLETE, TrialState.FAIL]
    monkeypatch.setattr(ReportingEvaluator, '__call__', evaluate)
    tune(results, 'resumed', *options)  # the same command again
    after = load(results, 'resumed').get_trials()
    assert [t.number for t in after] == [0, 1, 2, 3]
    assert after[0].value == before[0].value and after[0].params == before[0].params
    # The interrupted trial does not use up the budget: two more make three.
    assert [t.state for t in after[2:]].count(TrialState.FAIL) == 0
    assert after[2].params != after[1].params


def test_pruning_stops_a_clearly_worse_trial(tmp_path, glyph_root):
    results = tmp_path / 'tune'
    space = tmp_path / 'space.json'
    space.write_text(json.dumps({'lr': {'low': 1e-9, 'high': 1e-2, 'log': True},
                                 'embed_dim': {'choices': [2, 64]}, 'margin': None,
                                 'beta': None}))
    storage = 'sqlite:///%s' % os.path.join(str(results), 'pruned', 'study.db')
    os.makedirs(os.path.join(str(results), 'pruned'))
    study = optuna.create_study(study_name='pruned', storage=storage, direction='maximize')
    for params in ({'lr': 1e-3, 'embed_dim': 64}, {'lr': 1e-3, 'embed_dim': 64},
                   {'lr': 1e-9, 'embed_dim': 2}):  # a 2-d embedding that does not learn
        study.enqueue_trial(params)
    tune(results, 'pruned', '--trials', '3', '--folds', '1', '--space', str(space),
         *trial_options(glyph_root, '--val-classes', '6'))
    trials = load(results, 'pruned').get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE,
                                         TrialState.PRUNED]
    assert list(trials[2].intermediate_values) == [1]  # stopped after its first epoch
    pruned = manifest(os.path.join(results, 'pruned', 'trials',
                                   'train_margin_trial2_fold1.manifest.json'))
    assert pruned['status'] == 'pruned' and 'below the median' in pruned['error']
    assert 'below the median' in trials[2].user_attrs['pruned']


def test_a_failed_trial_is_recorded_and_the_study_goes_on(tmp_path, glyph_root):
    results = tmp_path / 'tune'
    os.makedirs(os.path.join(str(results), 'failing'))
    storage = 'sqlite:///%s' % os.path.join(str(results), 'failing', 'study.db')
    study = optuna.create_study(study_name='failing', storage=storage, direction='maximize')
    space = tmp_path / 'space.json'
    space.write_text(json.dumps({'lr': {'low': 1e-6, 'high': 1e-3}}))
    with pytest.warns(UserWarning, match='out of range'):  # a configuration the script refuses
        study.enqueue_trial({'lr': -1.0})
        tune(results, 'failing', '--trials', '2', '--folds', '1', '--no-pruning', '--space',
             str(space),
             *trial_options(glyph_root, '--val-classes', '6'))
    trials = load(results, 'failing').get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert trials[0].user_attrs['failure'] == 'fold 1: --lr must be positive (got -1.0)'


# --- two worker processes on one study ----------------------------------------------------
def two_workers(tmp_path, glyph_root, storage):
    """Two processes run one 4-trial study at once; returns its trials."""
    command = [sys.executable, '-m', 'common.tools.tune', 'run', '--script', 'train_margin.py',
               '--study', 'shared', '--trials', '4', '--folds', '1', '--results-dir',
               str(tmp_path / 'tune'), *(['--storage', storage] if storage else []),
               *trial_options(glyph_root, '--val-classes', '6', '--epochs', '1')]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=900)[0] for w in workers]
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
    storage = storage or 'sqlite:///%s' % (tmp_path / 'tune' / 'shared' / 'study.db')
    return optuna.load_study(study_name='shared', storage=storage).get_trials()


def check_shared(trials):
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers))  # no trial number given out twice
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(done) >= 4
    assert len({t.user_attrs['worker'] for t in done}) == 2  # both workers ran trials


def test_two_workers_share_a_sqlite_study(tmp_path, glyph_root):
    check_shared(two_workers(tmp_path, glyph_root, None))


def postgres_binaries():
    """The folder of initdb and pg_ctl: on the PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which('initdb')
    if found:
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'))
    return os.path.dirname(versions[-1]) if versions else None


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    """A throw-away PostgreSQL cluster in a temporary folder on a loopback port."""
    folder = postgres_binaries()
    if folder is None:
        reason = ('PostgreSQL server binaries (initdb, pg_ctl) not found; .ci/run installs '
                  'the Debian postgresql package')
        if os.environ.get('CI'):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = tempfile.mkdtemp(prefix='dml-postgres-')
    as_owner = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        owner = pwd.getpwnam('postgres')
        os.chown(cluster, owner.pw_uid, owner.pw_gid)
        as_owner = ['runuser', '-u', 'postgres', '--']
    data, port = os.path.join(cluster, 'data'), free_port()
    pg_ctl = as_owner + [os.path.join(folder, 'pg_ctl'), '-D', data]
    subprocess.run(as_owner + [os.path.join(folder, 'initdb'), '-D', data, '-U', 'tune',
                               '--auth=trust', '-E', 'UTF8', '--locale=C'],
                   check=True, capture_output=True)
    subprocess.run(pg_ctl + ['-l', os.path.join(cluster, 'server.log'), '-w', '-o',
                             '-p %d -k %s -c listen_addresses=127.0.0.1' % (port, cluster),
                             'start'], check=True, capture_output=True)
    try:
        yield 'postgresql+psycopg2://tune@127.0.0.1:%d/postgres' % port
    finally:
        subprocess.run(pg_ctl + ['-m', 'immediate', 'stop'], capture_output=True)
        shutil.rmtree(cluster, ignore_errors=True)


def test_two_workers_share_a_postgresql_study(tmp_path, glyph_root, postgres_url):
    check_shared(two_workers(tmp_path, glyph_root, postgres_url))
