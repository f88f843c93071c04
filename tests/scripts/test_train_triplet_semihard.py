"""End to end: the triplet script trains on the embedded dataset and on any folder tree."""
import os
import subprocess
import sys

import cv2
import mxnet as mx
import numpy as np
import pytest

from common.records import read_records
from script_runs import ROOT, glyph_argv, run
from train_triplet_semihard import TripletSemiHard

# Whole runs and command lines, in this process and in others: more than a couple of seconds.
pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_miniature_run_raises_recall(glyph_root, tmp_path):
    argv = glyph_argv(glyph_root, tmp_path, '--lr', '1e-3', '--steps', '0', epochs=4,
                      batch_size=64)
    summary = run(TripletSemiHard(), argv)
    before = summary['pretrain']['R@1']['mean']
    after = summary['best']['R@1']['mean']
    print('triplet_semihard miniature run: R@1 %.2f -> %.2f' % (before, after))
    assert after > before + 3
    records = read_records(str(tmp_path / 'train_triplet_semihard.jsonl'))
    kinds = [r['kind'] for r in records]
    assert kinds[0] == 'config' and kinds.count('epoch') == 5 and kinds[-1] == 'summary'
    assert records[0]['args']['margin'] == 1.0 and records[0]['versions']['mxnet'] == mx.__version__
    best = [r for r in records if r['kind'] == 'run'][0]
    assert best['best']['R@1'] == after
    assert os.path.isfile(tmp_path / 'triplet_semihard_model.params')
    assert 'Pre-train validation' in open(tmp_path / 'train_triplet_semihard.log').read()


def test_two_runs_report_mean_and_std(glyph_root, tmp_path):
    argv = glyph_argv(glyph_root, tmp_path, '--number-of-runs', '2', '--skip-pretrain-validation',
                      '--no-nmi', '--save-model-prefix', 'none', '--logfile', 'None')
    summary = run(TripletSemiHard(), argv)
    assert summary['runs'] == 2 and 'NMI' not in summary['metrics']
    assert summary['best']['R@1']['std'] >= 0
    assert not list(tmp_path.iterdir())


def write_photo_tree(root, classes=6, per_class=5):
    rng = np.random.RandomState(0)
    for c in range(classes):
        os.makedirs(os.path.join(root, 'class_%d' % c))
        colour = rng.randint(0, 255, 3)
        for i in range(per_class):
            h, w = rng.randint(40, 120, size=2)
            img = np.clip(colour + rng.randn(h, w, 3) * 30, 0, 255).astype(np.uint8)
            cv2.imwrite(os.path.join(root, 'class_%d' % c, '%d.jpg' % i), img)
    return root


def test_command_line_on_a_folder_tree(tmp_path):
    data = write_photo_tree(str(tmp_path / 'photos'))
    cmd = [sys.executable, 'train_triplet_semihard.py', '--dataset', 'folder', '--data-path', data,
           '--no-pretrained', '--model', 'small', '--image-size', '64', '--epochs', '2',
           '--num-workers', '0', '--results-dir', str(tmp_path / 'results')]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'exceeds the 15 training images' in done.stderr
    assert '[Epoch 2]' in done.stderr and 'Average of 1 run(s)' in done.stderr


def test_bad_input_gives_one_line_errors(tmp_path):
    base = [sys.executable, 'train_triplet_semihard.py', '--results-dir', str(tmp_path)]
    cases = [(['--dataset', 'CUB', '--data-path', str(tmp_path)], 'images.txt not found'),
             (['--epochs', '-1'], '--epochs must be >= 0'),
             (['--dataset', 'folder', '--data-path', str(tmp_path / 'none'), '--no-pretrained'],
              'is not a directory'),
             (['--model', 'vgg'], "invalid choice: 'vgg'")]
    for extra, message in cases:
        done = subprocess.run(base + extra, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode != 0
        last = done.stderr.strip().splitlines()[-1]
        assert message in last and 'Traceback' not in done.stderr, done.stderr
