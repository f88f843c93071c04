"""What every script invocation records: manifest, records, model selection, embeddings."""
import os
import shlex
import subprocess
import sys

import numpy as np
import pytest

from common.evaluation import evaluate
from common.evaluation.embeddings_file import load_embeddings
from common.records import read_manifest, read_records
from common.training import run_setup
from script_runs import ROOT, glyph_argv, run
from train_margin import Margin

QUICK = ('--batch-k', '4', '--iteration-per-epoch', '4', '--lr', '1e-3', '--no-nmi',
         '--save-model-prefix', 'none', '--seed', '7')


@pytest.mark.slow
@pytest.mark.integration
def test_manifest_holds_what_reproduces_the_run(glyph_root, tmp_path):
    first = tmp_path / 'first'
    summary = Margin().main(glyph_argv(glyph_root, first, *QUICK, epochs=2))
    manifest = read_manifest(str(first / 'train_margin.manifest.json'))
    assert manifest['status'] == 'finished' and manifest['summary'] == summary
    assert manifest['script'] == 'margin' and manifest['selection'] == 'test'
    assert manifest['args']['lr'] == 1e-3 and manifest['seeds'] == [7]
    assert manifest['dataset'] == {'name': 'glyphs', 'splits': {
        'train': {'classes': 31, 'images': 1953}, 'test': {'classes': 31, 'images': 1953}}}
    assert manifest['versions']['mxnet'] and manifest['versions']['numpy'] == np.__version__
    assert manifest['hardware']['cores'] >= 1 and 'git' in manifest
    assert manifest['files'] == {'log': 'train_margin.log', 'jsonl': 'train_margin.jsonl',
                                 'manifest': 'train_margin.manifest.json'}
    kinds = [r['kind'] for r in read_records(str(first / 'train_margin.jsonl'),
                                             invocation=manifest['invocation'])]
    assert kinds[0] == 'config' and kinds[-2:] == ['run', 'summary']

    # The recorded command, run as a new process, gives the same numbers.
    command = shlex.split(manifest['command'])
    assert command[0] == 'python' and command[1] == 'train_margin.py'
    again = tmp_path / 'again'
    subprocess.run([sys.executable] + command[1:] + ['--results-dir', str(again)],
                   cwd=manifest['cwd'], check=True, capture_output=True,
                   env=dict(os.environ, PYTHONPATH=ROOT))
    assert read_manifest(str(again / 'train_margin.manifest.json'))['summary'] == summary


def count_test_evaluations(monkeypatch):
    """A list that gets an entry at every test-split evaluation."""
    calls = []
    build = run_setup.evaluators

    def counting(*args):
        select, test = build(*args)
        score = test.score
        test.score = lambda embedded: calls.append(1) or score(embedded)
        return select, test
    monkeypatch.setattr(run_setup, 'evaluators', counting)
    return calls


@pytest.mark.slow
@pytest.mark.integration
def test_validation_selection_scores_the_test_split_once_per_run(glyph_root, tmp_path,
                                                                 monkeypatch):
    calls = count_test_evaluations(monkeypatch)
    argv = glyph_argv(glyph_root, tmp_path, *QUICK, '--val-classes', '6', '--number-of-runs',
                      '2', '--save-embeddings', epochs=3)
    summary = run(Margin(), argv)
    assert len(calls) == 2
    assert summary['selection'] == 'validation' and set(summary) >= {'selected', 'best'}
    records = read_records(str(tmp_path / 'train_margin.jsonl'))
    epochs = [r for r in records if r['kind'] == 'epoch']
    # Validation has 6 classes x 63 images: R@32 exists, and no epoch record is a test score.
    runs = [r for r in records if r['kind'] == 'run']
    assert all(r['selection'] == 'validation' for r in runs)
    for r in runs:
        chosen = [e for e in epochs if e['run'] == r['run'] and e['epoch'] == r['best_epoch']]
        assert chosen[0]['metrics'] == r['selected'] != r['best']
    manifest = read_manifest(str(tmp_path / 'train_margin.manifest.json'))
    assert manifest['dataset']['splits']['validation'] == {'classes': 6, 'images': 378}
    assert manifest['dataset']['splits']['train']['classes'] == 25
    assert len(manifest['dataset']['validation_classes']) == 6

    # The saved embeddings are the chosen epoch's: they score exactly the recorded test metrics.
    for r in runs:
        saved = load_embeddings(str(tmp_path / ('train_margin_run%d_embeddings.npz' % r['run'])))
        assert saved.embeddings.shape == (1953, 64) and len(saved.paths) == 1953
        assert all(os.path.isfile(p) for p in saved.paths[:5])
        again = evaluate(saved.embeddings, saved.labels, recall_ks=(1, 2, 4, 8, 16, 32),
                         compute_nmi=False)
        assert again == r['best']


@pytest.mark.slow
@pytest.mark.integration
def test_test_selection_saves_the_best_epochs_embeddings(glyph_root, tmp_path):
    run(Margin(), glyph_argv(glyph_root, tmp_path, *QUICK, '--save-embeddings', epochs=2))
    best = read_records(str(tmp_path / 'train_margin.jsonl'), 'run')[0]['best']
    saved = load_embeddings(str(tmp_path / 'train_margin_embeddings.npz'))
    assert evaluate(saved.embeddings, saved.labels, recall_ks=(1, 2, 4, 8, 16, 32),
                    compute_nmi=False) == best


def test_zero_epochs_evaluates_the_untrained_network_as_a_baseline(glyph_root, tmp_path,
                                                                   monkeypatch):
    # With validation selection the untrained weights are the chosen ones, scored on test once.
    calls = count_test_evaluations(monkeypatch)
    summary = run(Margin(), glyph_argv(glyph_root, tmp_path, *QUICK, '--val-classes', '6',
                                       '--save-embeddings', epochs=0))
    assert len(calls) == 1
    record = read_records(str(tmp_path / 'train_margin.jsonl'), 'run')[0]
    assert record['best_epoch'] == 0 and record['selected'] == record['pretrain']
    saved = load_embeddings(str(tmp_path / 'train_margin_embeddings.npz'))
    assert evaluate(saved.embeddings, saved.labels, recall_ks=(1, 2, 4, 8, 16, 32),
                    compute_nmi=False) == record['best']
    assert summary['best']['R@1']['mean'] == record['best']['R@1']
    records = read_records(str(tmp_path / 'train_margin.jsonl'))
    epochs = [r for r in records if r['kind'] == 'epoch']
    assert [r['epoch'] for r in epochs] == [0]


def test_zero_epochs_needs_the_pretrain_evaluation(glyph_root, tmp_path, capsys):
    import pytest
    with pytest.raises(SystemExit):
        Margin().parse_args(glyph_argv(glyph_root, tmp_path, '--skip-pretrain-validation',
                                       epochs=0))
    assert '--epochs 0 evaluates the untrained network only' in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.integration
def test_the_same_seed_gives_the_same_metrics_with_data_workers(glyph_root, tmp_path):
    """Augmentations are drawn from per-sample seeds, so two worker processes decoding in any
    order give the same batches; the CPU arithmetic is then the same run after run."""
    from train_margin import Margin
    extra = ('--batch-k', '4', '--iteration-per-epoch', '8', '--lr', '1e-3', '--num-workers',
             '2', '--save-model-prefix', 'none', '--steps', '0')
    first = run(Margin(), glyph_argv(glyph_root, tmp_path / 'a', *extra, epochs=2))
    second = run(Margin(), glyph_argv(glyph_root, tmp_path / 'b', *extra, epochs=2))
    assert first == second
    assert first['best']['R@1']['mean'] != first['pretrain']['R@1']['mean']  # it did train
