"""--resume: an interrupted invocation continues to exactly the uninterrupted result."""
import os
import signal
import subprocess
import sys
import time

import pytest

from common.records import read_manifest, read_records
from common.training.checkpoint import ResumeError
from script_runs import ROOT, Interrupt, glyph_argv, interrupted, run
from train_margin import Margin
from train_sst import SST

# Margin has two optimisers (network; the class boundaries beta by SGD) and loss parameters;
# two runs and a validation split exercise the run index and the best-weights copy.
MARGIN = ('--batch-k', '4', '--iteration-per-epoch', '6', '--lr', '1e-3', '--no-nmi',
          '--number-of-runs', '2', '--val-classes', '6', '--steps', '2',
          '--save-model-prefix', 'none')


def start_until_epoch(argv, results, epoch, timeout=120):
    """train_margin.py started in a process, returned once its records show ``epoch``;
    (process, command, environment)."""
    command = [sys.executable, 'train_margin.py'] + argv
    env = dict(os.environ, PYTHONPATH=ROOT)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    jsonl = results / 'train_margin.jsonl'
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if jsonl.exists() and [r for r in read_records(str(jsonl), 'epoch')
                               if r['epoch'] == epoch]:
            break
        time.sleep(0.05)
    return process, command, env


def run_records(results, stem):
    return read_records(str(results / (stem + '.jsonl')), 'run')


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize('at_run,at_epoch', [(1, 2), (2, 3)])
def test_resume_equals_an_uninterrupted_run(glyph_root, tmp_path, at_run, at_epoch):
    full = run(Margin(), glyph_argv(glyph_root, tmp_path / 'full', *MARGIN, epochs=3))
    cut_dir = tmp_path / 'cut'
    argv = glyph_argv(glyph_root, cut_dir, *MARGIN, epochs=3)
    with pytest.raises(Interrupt):
        run(interrupted(Margin, at_run, at_epoch), argv)
    manifest = read_manifest(str(cut_dir / 'train_margin.manifest.json'))
    assert manifest['status'] == 'interrupted'
    with pytest.raises(ResumeError, match='pass --resume'):
        run(Margin(), argv)
    resumed = run(Margin(), argv + ['--resume'])
    assert resumed == full  # every metric of every stage, to the last digit
    records = run_records(cut_dir, 'train_margin')
    assert [r['run'] for r in records] == [1, 2]
    assert len({r['invocation'] for r in records}) == 1
    assert [r['best'] for r in records] == [r['best'] for r in run_records(tmp_path / 'full',
                                                                           'train_margin')]
    assert read_manifest(str(cut_dir / 'train_margin.manifest.json'))['status'] == 'finished'
    assert not os.path.exists(cut_dir / 'train_margin.state')  # removed once finished


@pytest.mark.slow
@pytest.mark.integration
def test_resume_restores_script_state_kept_in_extra(glyph_root, tmp_path):
    # SST keeps its plateau schedule (best loss, patience counters) in state.extra.
    argv = ('--lr', '1e-3', '--no-nmi', '--save-model-prefix', 'none', '--steps', '0',
            '--plateau-patience', '1')
    full = run(SST(), glyph_argv(glyph_root, tmp_path / 'full', *argv, epochs=3, batch_size=64))
    cut = glyph_argv(glyph_root, tmp_path / 'cut', *argv, epochs=3, batch_size=64)
    with pytest.raises(Interrupt):
        run(interrupted(SST, 1, 3), cut)
    assert run(SST(), cut + ['--resume']) == full


@pytest.mark.integration
def test_resume_refuses_changed_options(glyph_root, tmp_path):
    argv = glyph_argv(glyph_root, tmp_path, *MARGIN, epochs=3)
    with pytest.raises(Interrupt):
        run(interrupted(Margin, 1, 2), argv)
    with pytest.raises(ResumeError, match=r'lr: 0.001 -> 0.01'):
        run(Margin(), argv + ['--resume', '--lr', '1e-2'])


@pytest.mark.slow
@pytest.mark.integration
def test_a_state_saved_before_an_option_existed_resumes_at_its_default(glyph_root, tmp_path):
    """A toolkit update that adds an option must not strand the runs in progress."""
    import json
    argv = glyph_argv(glyph_root, tmp_path, *MARGIN, epochs=3)
    with pytest.raises(Interrupt):
        run(interrupted(Margin, 1, 2), argv)
    index = tmp_path / 'train_margin.state' / 'invocation.json'
    saved = json.load(open(index))
    del saved['config']['amp']  # as written by a version without --amp
    json.dump(saved, open(index, 'w'))
    with pytest.raises(ResumeError, match=r'amp: None -> True'):
        run(Margin(), argv + ['--resume', '--amp'])
    assert run(Margin(), argv + ['--resume'])['runs'] == 2


@pytest.mark.integration
def test_resume_without_a_saved_state_starts_afresh(glyph_root, tmp_path):
    argv = glyph_argv(glyph_root, tmp_path, '--batch-k', '4', '--iteration-per-epoch', '3',
                      '--lr', '1e-3', '--no-nmi', '--skip-pretrain-validation', epochs=1)
    summary = run(Margin(), argv + ['--resume'])
    assert summary['runs'] == 1 and not os.path.exists(tmp_path / 'train_margin.state')


@pytest.mark.slow
@pytest.mark.integration
def test_a_terminated_process_says_interrupted_and_resumes_to_the_same_result(glyph_root,
                                                                             tmp_path):
    argv = glyph_argv(glyph_root, tmp_path, *MARGIN, epochs=4)
    process, command, env = start_until_epoch(argv, tmp_path, 2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and 'rerun the command with --resume' in err
    assert read_manifest(str(tmp_path / 'train_margin.manifest.json'))['status'] == 'interrupted'
    subprocess.run(command + ['--resume'], cwd=ROOT, env=env, check=True, capture_output=True)
    resumed = read_manifest(str(tmp_path / 'train_margin.manifest.json'))['summary']
    full = run(Margin(), glyph_argv(glyph_root, tmp_path / 'full', *MARGIN, epochs=4))
    assert resumed == full


@pytest.mark.slow
@pytest.mark.integration
def test_sigkill_mid_epoch_then_resume_gives_the_uninterrupted_result(glyph_root, tmp_path):
    """No handler runs on SIGKILL: only what was already on disk counts."""
    argv = glyph_argv(glyph_root, tmp_path, *MARGIN, epochs=4)
    argv[argv.index('--iteration-per-epoch') + 1] = '20'  # epochs long enough to land inside
    process, command, env = start_until_epoch(argv, tmp_path, 2)
    time.sleep(0.5)  # into epoch 3 (or the state save before it: any moment must do)
    assert process.poll() is None, 'the run ended before it could be killed'
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    manifest = read_manifest(str(tmp_path / 'train_margin.manifest.json'))
    assert manifest['status'] == 'running'  # readable, and honest about what it knew
    epochs = [r['epoch'] for r in read_records(str(tmp_path / 'train_margin.jsonl'), 'epoch')]
    assert 3 not in epochs and 2 in epochs
    done = subprocess.run(command + ['--resume'], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'Resuming run 1 after epoch' in done.stderr
    resumed = read_manifest(str(tmp_path / 'train_margin.manifest.json'))
    full_argv = glyph_argv(glyph_root, tmp_path / 'full', *MARGIN, epochs=4)
    full_argv[full_argv.index('--iteration-per-epoch') + 1] = '20'
    assert resumed['status'] == 'finished' and resumed['summary'] == run(Margin(), full_argv)


def test_sigterm_unwinds_the_main_process_only_and_main_restores_the_handler(tmp_path):
    """Forked data workers inherit the handler; their pool stops them with SIGTERM, and a
    worker that raised instead of dying once hung the pool's join (and a whole run)."""
    from common.training.signals import terminate_as_interrupt
    previous = signal.signal(signal.SIGTERM, terminate_as_interrupt(os.getpid()))
    try:
        child = os.fork()
        if child == 0:  # a forked worker: SIGTERM's default action, whichever thread gets it
            if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
                os._exit(4)
            try:
                time.sleep(30)
            finally:
                os._exit(3)  # reached only if the signal raised instead of killing
        time.sleep(0.2)
        os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt, match='SIGTERM'):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    finally:
        signal.signal(signal.SIGTERM, previous)
    with pytest.raises(SystemExit):  # main() runs and fails on the data ...
        Margin().main(['--dataset', 'MNIST', '--data-path', str(tmp_path), '--results-dir',
                       str(tmp_path)])
    assert signal.getsignal(signal.SIGTERM) is previous  # ... and leaves the handler as it was
