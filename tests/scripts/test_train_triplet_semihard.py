"""End to end: the triplet script runs several times, on any folder tree, and errors in a line."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from script_runs import ROOT, glyph_argv, run
from train_triplet_semihard import TripletSemiHard

# Whole runs and command lines, in this process and in others: more than a couple of seconds.
pytestmark = [pytest.mark.slow, pytest.mark.integration]


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
