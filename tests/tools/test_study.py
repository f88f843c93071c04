"""python -m common.tools.study: one invocation per value, N seeds each, resumable; then plotted."""
import os
import subprocess
import sys

import pytest

from common.tools import study
from common.tools.reports.collect import collect_runs
from script_runs import ROOT


def test_commands_vary_one_option_and_set_seeds_and_names():
    args = study.parse_args(study.build_parser(), [
        'batch-size', '--script', 'train_margin.py', '--values', '32,64', '--seeds', '3',
         '--results-dir', 'r', '--', '--dataset', 'CUB', '--batch-k', '4'])
    commands = study.point_commands(args)
    assert [postfix for postfix, _ in commands] == ['batch32', 'batch64']
    assert commands[1][1] == ['train_margin.py', '--dataset', 'CUB', '--batch-k', '4',
                              '--batch-size', '64', '--number-of-runs', '3', '--seed', '1',
                              '--results-dir', 'r', '--log-postfix', 'batch64']


@pytest.mark.parametrize('argv,message', [
    (['embed-dim', '--script', 'nope.py', '--values', '8', '--results-dir', 'r'], 'nope.py'),
    (['embed-dim', '--script', 'train_margin.py', '--values', '8,x', '--results-dir', 'r'],
     'positive integers'),
    (['embed-dim', '--script', 'train_margin.py', '--values', '8', '--results-dir', 'r', '--',
      '--embed-dim', '4'], 'sets these options itself'),
])
def test_bad_study_options_are_one_line_errors(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit):
        study.main(argv)
    assert message in capsys.readouterr().err


def test_an_unreadable_manifest_in_the_results_folder_is_a_one_line_error(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.chdir(ROOT)
    (tmp_path / 'train_margin_embed8.manifest.json').write_text('{"status": "fini')
    with pytest.raises(SystemExit):
        study.main(['embed-dim', '--script', 'train_margin.py', '--values', '8',
                    '--results-dir', str(tmp_path), '--dry-run'])
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith('python -m common.tools.study: error: %s: unreadable manifest ('
                              % (tmp_path / 'train_margin_embed8.manifest.json'))


@pytest.mark.slow
@pytest.mark.integration
def test_a_study_runs_every_point_and_a_rerun_skips_finished_ones(glyph_root, tmp_path):
    results = str(tmp_path / 'study')
    argv = [sys.executable, '-m', 'common.tools.study', 'embed-dim', '--script', 'train_margin.py',
            '--values', '8,16', '--seeds', '2', '--results-dir', results, '--',
            '--dataset', 'glyphs', '--data-path', glyph_root, '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--num-workers', '0', '--epochs', '1',
            '--batch-size', '32', '--batch-k', '4', '--iteration-per-epoch', '3', '--lr', '1e-3',
            '--no-nmi', '--save-model-prefix', 'none', '--skip-pretrain-validation']
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    runs = collect_runs(results)
    assert sorted(zip(runs['embed_dim'], runs['seed'])) == [(8, 1), (8, 2), (16, 1), (16, 2)]
    assert set(runs['status']) == {'finished'}
    again = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert again.stdout.count('done already') == 2, done.stdout

    plotted = subprocess.run([sys.executable, '-m', 'common.tools.reports.plots', results, '--kind',
                              'embedding-size', '--out', str(tmp_path / 'embed')], cwd=ROOT,
                             env=env, capture_output=True, text=True, check=True)
    assert os.path.getsize(tmp_path / 'embed_glyphs.png') > 5000, plotted.stdout
    assert os.path.getsize(tmp_path / 'embed_glyphs.pdf') > 1000
