"""Bad input through a whole training script: a one-line error naming the file or option and
what to do (exit 1, or argparse's exit 2), or correct handling; never a traceback."""
import os

import numpy as np
import pytest
from PIL import Image

from common.records import read_manifest, read_records
from layouts import write_cub
from script_runs import small_folder
from train_margin import Margin
from train_triplet_semihard import TripletSemiHard

CLASSES, IMAGES = 8, 6


@pytest.fixture
def tree(glyph_root, tmp_path):
    """A small class-per-folder dataset copied from the embedded glyphs (4 + 4 classes)."""
    return small_folder(glyph_root, tmp_path / 'data', CLASSES, IMAGES)


def argv(data, results, *extra, dataset='folder', epochs=1, batch_size=8):
    return ['--dataset', dataset, '--data-path', str(data), '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--num-workers', '0', '--no-nmi',
            '--epochs', str(epochs), '--batch-size', str(batch_size), '--results-dir',
            str(results), '--save-model-prefix', 'none'] + [str(e) for e in extra]


def fails(script, args, capsys, code=1):
    """The error line of a script that must exit with ``code``."""
    with pytest.raises(SystemExit) as stop:
        script.main(args)
    assert stop.value.code == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err, 'nothing on stderr'
    assert 'Traceback' not in '\n'.join(err)
    return err[-1]


def margin(data, results, *extra, **kwargs):
    return argv(data, results, '--batch-k', '2', '--iteration-per-epoch', '3', '--lr', '1e-3',
                *extra, **kwargs)


# --- the data ---------------------------------------------------------------------------------
def test_missing_data_path(tmp_path, capsys):
    line = fails(TripletSemiHard(), argv(tmp_path / 'nowhere', tmp_path), capsys)
    assert line.endswith('error: folder: --data-path %s is not a directory'
                         % (tmp_path / 'nowhere'))
    args = argv(tmp_path, tmp_path, dataset='CUB')
    args.remove('--data-path'), args.remove(str(tmp_path))
    assert 'error: --dataset CUB needs --data-path pointing at the dataset folder' in \
        fails(TripletSemiHard(), args, capsys)


@pytest.mark.parametrize('dataset,index_file', [('CUB', 'images.txt'), ('SOP', 'Ebay_train.txt'),
                                                ('InShop', 'list_eval_partition.txt')])
def test_a_folder_in_another_layout_names_the_missing_index_file(tree, tmp_path, capsys, dataset,
                                                                 index_file):
    line = fails(TripletSemiHard(), argv(tree, tmp_path / 'r', dataset=dataset), capsys)
    assert '%s not found' % os.path.join(str(tree), index_file) in line


def test_split_counts_other_than_the_standard_ones_are_refused(tmp_path, capsys):
    root = write_cub(str(tmp_path / 'CUB'), train=5863)
    line = fails(TripletSemiHard(), argv(root, tmp_path / 'r', dataset='CUB'), capsys)
    assert 'expected 5864' in line and 'found 5863' in line


def test_classes_without_images_and_too_few_classes(tmp_path, capsys):
    (tmp_path / 'd' / 'a').mkdir(parents=True)
    (tmp_path / 'd' / 'b').mkdir()
    (tmp_path / 'd' / 'b' / 'readme.txt').write_text('no images here')
    line = fails(TripletSemiHard(), argv(tmp_path / 'd', tmp_path / 'r'), capsys)
    assert 'needs at least two class folders with images (found 0)' in line


@pytest.mark.parametrize('workers', [0, 2])
@pytest.mark.parametrize('name,content,problem', [
    ('cut.jpg', 'half', 'is truncated'),
    ('text.jpg', b'<html>not found</html>', 'cannot be decoded'),
    ('empty.png', b'', 'is empty'),
])
def test_a_broken_image_stops_the_run_naming_the_file(tree, tmp_path, capsys, workers, name,
                                                      content, problem):
    if content == 'half':
        whole = tmp_path / 'whole.jpg'
        Image.new('RGB', (40, 30), (200, 10, 10)).save(whole)
        data = whole.read_bytes()
        content = data[:len(data) // 2]
    bad = tree / 'c1' / name
    bad.write_bytes(content)
    args = argv(tree, tmp_path / 'r', '--num-workers', workers, '--lr', '1e-3')
    line = fails(TripletSemiHard(), args, capsys)
    assert 'error: image %s %s' % (bad, problem) in line and '; ' in line
    manifest = read_manifest(str(tmp_path / 'r' / 'train_triplet_semihard.manifest.json'))
    assert manifest['status'] == 'failed' and str(bad) in manifest['error']


def test_every_colour_mode_and_tiny_images_train(tree, tmp_path):
    """Grayscale, CMYK, alpha, palette, 16-bit and 2 x 3 pixel images are read as RGB."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (48, 40, 3)).astype(np.uint8)
    image = Image.fromarray(pixels)
    for c, (name, img) in enumerate([
            ('gray.jpg', image.convert('L')), ('cmyk.jpg', image.convert('CMYK')),
            ('alpha.png', image.convert('RGBA')), ('palette.png', image.convert('P')),
            ('g16.png', Image.fromarray(pixels[:, :, 0].astype(np.uint16) * 257)),
            ('tiny.png', Image.fromarray(pixels[:2, :3]))]):
        for k in range(2):
            img.save(tree / ('c%d' % c) / ('%d_%s' % (k, name)))
    summary = TripletSemiHard().main(argv(tree, tmp_path / 'r', '--lr', '1e-3'))
    assert np.isfinite(summary['best']['R@1']['mean'])


def test_one_image_classes_under_a_pk_sampler(tree, tmp_path, capsys):
    for c in (0, 1):  # two training classes keep a single image
        for f in sorted(os.listdir(tree / ('c%d' % c)))[1:]:
            os.remove(tree / ('c%d' % c) / f)
    summary = Margin().main(margin(tree, tmp_path / 'r', epochs=2))
    assert np.isfinite(summary['best']['R@1']['mean'])
    log = open(tmp_path / 'r' / 'train_margin.log').read()
    assert '2 of the 4 training classes have a single image' in log
    for c in (2, 3):
        for f in sorted(os.listdir(tree / ('c%d' % c)))[1:]:
            os.remove(tree / ('c%d' % c) / f)
    line = fails(Margin(), margin(tree, tmp_path / 'r2'), capsys)
    assert 'the training split has 4 classes of one image each' in line


# --- the options ------------------------------------------------------------------------------
def test_batch_size_not_a_multiple_of_k(tree, tmp_path, capsys):
    line = fails(Margin(), margin(tree, tmp_path / 'r', batch_size=7), capsys)
    assert line.endswith('error: --batch-size 7 must be a multiple of --batch-k 2')


@pytest.mark.parametrize('option,value', [('--embed-dim', 0), ('--embed-dim', -8),
                                          ('--batch-size', 0), ('--batch-size', -1)])
def test_sizes_must_be_positive(tree, tmp_path, capsys, option, value):
    args = argv(tree, tmp_path / 'r', '--lr', '1e-3', option, value)
    line = fails(TripletSemiHard(), args, capsys, code=2)
    assert line.endswith('error: %s must be positive (got %s)' % (option, value))


def test_unknown_model_and_dataset(tree, tmp_path, capsys):
    line = fails(TripletSemiHard(), argv(tree, tmp_path, '--model', 'resnet1000'), capsys, code=2)
    assert "--model: invalid choice: 'resnet1000'" in line
    line = fails(TripletSemiHard(), argv(tree, tmp_path, '--lr', '1e-3', dataset='MNIST'), capsys)
    assert line.endswith('error: --dataset MNIST: unknown; choose one of CUB, CARS196, SOP, '
                         'InShop, folder, glyphs, latin, kanji')


def test_missing_pretrained_weights(tree, tmp_path, capsys, monkeypatch):
    import mxnet as mx
    args = argv(tree, tmp_path / 'r', '--lr', '1e-3')
    args[args.index('small')] = 'inception-bn'
    args.remove('--no-pretrained')
    line = fails(TripletSemiHard(), args + ['--pretrained', str(tmp_path / 'none.params')],
                 capsys)
    assert line.endswith('--pretrained %s does not exist' % (tmp_path / 'none.params'))

    def offline(*args, **kwargs):
        raise OSError('Name or service not known')
    monkeypatch.setattr(mx.gluon.utils, 'download', offline)
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxnet'))
    line = fails(TripletSemiHard(), args, capsys)
    assert 'weights not found at %s' % (tmp_path / 'mxnet' / 'models') in line
    assert 'pass --pretrained PATH, or train from scratch with --no-pretrained' in line


def test_a_gpu_that_this_build_or_machine_lacks(tree, tmp_path, capsys):
    line = fails(TripletSemiHard(), argv(tree, tmp_path, '--lr', '1e-3', '--gpus', '0'), capsys)
    assert '--gpus 0: ' in line and 'use --gpus -2 for the CPU' in line


# --- the outputs ------------------------------------------------------------------------------
def test_an_unwritable_results_folder_is_refused_before_training(tree, tmp_path, capsys):
    (tmp_path / 'a_file').write_text('')
    line = fails(TripletSemiHard(), argv(tree, tmp_path / 'a_file' / 'r', '--lr', '1e-3'),
                 capsys)
    assert line.endswith('error: --results-dir %s is not writable (Not a directory); choose '
                         'another folder' % (tmp_path / 'a_file' / 'r'))
    if os.access('/sys', os.W_OK) and os.geteuid() != 0:
        return
    line = fails(TripletSemiHard(), argv(tree, '/sys/dml-results', '--lr', '1e-3'), capsys)
    assert '--results-dir /sys/dml-results is not writable' in line


class FullDiskAtEpoch(Margin):
    """The disk fills up while the state after ``epoch`` is being saved."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, state, loss):
        if state.epoch == self.epoch:
            pointer = os.path.join(state.recorder.log_path[:-4] + '.state', 'run1', 'latest')
            os.symlink('/dev/full', '%s.tmp%d' % (pointer, os.getpid()))
        return super().on_epoch_end(state, loss)


@pytest.mark.slow
@pytest.mark.integration
def test_a_full_disk_while_saving_keeps_the_last_good_state(tree, tmp_path, capsys):
    full = Margin().main(margin(tree, tmp_path / 'full', epochs=3))
    results = tmp_path / 'r'
    line = fails(FullDiskAtEpoch(2), margin(tree, results, epochs=3), capsys)
    assert 'cannot write' in line and 'No space left on device' in line
    assert line.endswith('free space or choose another --results-dir, then rerun the command '
                         'with --resume')
    assert read_manifest(str(results / 'train_margin.manifest.json'))['status'] == 'interrupted'
    state = results / 'train_margin.state' / 'run1'
    assert open(state / 'latest').read().strip() == 'epoch1'
    for leftover in os.listdir(state):
        if leftover.startswith('latest.tmp'):
            os.remove(state / leftover)  # the "disk" has room again
    resumed = Margin().main(margin(tree, results, '--resume', epochs=3))
    assert resumed == full
    epochs = [r['epoch'] for r in read_records(str(results / 'train_margin.jsonl'), 'epoch')]
    assert epochs == [0, 1, 2, 2, 3]  # epoch 2 trained again from the state after epoch 1


def test_test_classes_with_one_image_are_noted_in_the_records(tree, tmp_path):
    for f in sorted(os.listdir(tree / 'c7'))[1:]:  # a test class keeps one image
        os.remove(tree / 'c7' / f)
    TripletSemiHard().main(argv(tree, tmp_path / 'r', '--lr', '1e-3'))
    epochs = read_records(str(tmp_path / 'r' / 'train_triplet_semihard.jsonl'), 'epoch')
    assert [r['notes'] for r in epochs] == [['1 of 19 queries have no other item of their class; '
                                             'they count as misses in Recall@K and are left out '
                                             'of MAP@R']] * 2
    assert 'Evaluation note: 1 of 19 queries' in open(tmp_path / 'r' /
                                                     'train_triplet_semihard.log').read()
