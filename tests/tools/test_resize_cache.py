"""The pre-resize cache tool: sizes, layout, skipping, boxes and errors, on real JPEGs."""
import os
import shutil

import cv2
import numpy as np
import pytest

from common.data.cars196 import load_cars196
from common.data.cub import load_cub
from common.data.decode import read_image
from common.data.folder import load_folder
from common.data.transforms import crop_box
from common.tools.resize_cache import MANIFEST, main
from layouts import write_cub


def write_image(path, width, height, seed=0, box=None):
    """A smooth colour image (a white ``box`` (x, y, w, h) on it, if given)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 200, size=(6, 8, 3)).astype(np.uint8)
    img = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    if box is not None:
        x, y, w, h = box
        img[y:y + h, x:x + w] = 255
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def image_size(path):
    h, w = cv2.imread(path).shape[:2]
    return w, h


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / 'src'
    sizes = {'a/wide.jpg': (500, 375), 'a/tall.JPG': (375, 500), 'b/small.jpg': (200, 150),
             'b/exact.jpeg': (300, 256), 'b/lossless.png': (600, 300)}
    for i, (rel, (w, h)) in enumerate(sorted(sizes.items())):
        write_image(str(src / rel), w, h, seed=i)
    (src / 'a' / 'notes.txt').write_text('not an image\n')
    return src, tmp_path / 'dst', sizes


def test_resizes_the_shorter_side_and_keeps_the_layout(tree, capsys):
    src, dst, sizes = tree
    assert main([str(src), str(dst), '--short-side', '256', '--workers', '1']) == 0
    out = capsys.readouterr().out
    assert '5 images' in out and '3 resized' in out and '2 copied' in out
    for rel, (w, h) in sizes.items():
        new_w, new_h = image_size(str(dst / rel))
        if min(w, h) <= 256:
            assert (new_w, new_h) == (w, h)   # never upscaled, copied as is
            assert (dst / rel).read_bytes() == (src / rel).read_bytes()
        else:
            assert min(new_w, new_h) == 256
            assert abs(new_w / new_h - w / h) < 2 / 256  # aspect kept to a pixel
    assert (dst / 'a' / 'notes.txt').read_text() == 'not an image\n'
    # Same classes and files, so the cache is a drop-in --data-path.
    original, cached = load_folder(str(src)), load_folder(str(dst))
    for split in ('train', 'test'):
        a, b = getattr(original, split), getattr(cached, split)
        assert a.class_names == b.class_names and a.labels.tolist() == b.labels.tolist()
        assert [os.path.relpath(p, src) for p in a.paths] == [os.path.relpath(p, dst)
                                                             for p in b.paths]
    assert not [f for f in os.listdir(dst / 'a') if '.tmp' in f]


def test_a_process_pool_gives_the_same_cache(tree, tmp_path):
    src, dst, sizes = tree
    assert main([str(src), str(dst), '--workers', '1']) == 0
    assert main([str(src), str(tmp_path / 'pooled'), '--workers', '2']) == 0
    for rel in sizes:
        assert (tmp_path / 'pooled' / rel).read_bytes() == (dst / rel).read_bytes()


def test_a_second_run_redoes_only_what_changed(tree, capsys):
    src, dst, _ = tree
    main([str(src), str(dst), '--workers', '1'])
    capsys.readouterr()
    assert main([str(src), str(dst), '--workers', '1']) == 0
    out = capsys.readouterr().out
    assert '5 skipped' in out and '0 resized' in out and '0 other files copied' in out
    future = os.path.getmtime(dst / 'a' / 'wide.jpg') + 10
    os.utime(src / 'a' / 'wide.jpg', (future, future))
    main([str(src), str(dst), '--workers', '1'])
    out = capsys.readouterr().out
    assert '4 skipped' in out and '1 resized' in out
    # Another size makes every image again.
    main([str(src), str(dst), '--short-side', '128', '--workers', '1'])
    out = capsys.readouterr().out
    assert '0 skipped' in out and '5 resized' in out
    assert min(image_size(str(dst / 'a' / 'wide.jpg'))) == 128
    # A lost manifest means nothing is known to be up to date.
    os.remove(dst / MANIFEST)
    main([str(src), str(dst), '--short-side', '128', '--workers', '1'])
    assert '0 skipped' in capsys.readouterr().out


def test_missing_source_is_one_clear_line(tmp_path, capsys):
    assert main([str(tmp_path / 'nope'), str(tmp_path / 'dst')]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'nope' in err and 'not a directory' in err


def test_destination_inside_the_source_is_refused(tree, capsys):
    src, _, _ = tree
    assert main([str(src), str(src / 'cache')]) == 2
    assert 'inside SRC' in capsys.readouterr().err


@pytest.mark.skipif(hasattr(os, 'geteuid') and os.geteuid() == 0,
                    reason='root writes into read-only folders')
def test_non_writable_destination_is_one_clear_line(tree, capsys):
    src, dst, _ = tree
    dst.mkdir()
    dst.chmod(0o500)
    try:
        assert main([str(src), str(dst)]) == 2
    finally:
        dst.chmod(0o700)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(dst) in err and 'writable' in err


def test_non_writable_destination_parent_is_one_clear_line(tree, capsys):
    src, _, _ = tree
    blocker = src.parent / 'file'
    blocker.write_text('')
    assert main([str(src), str(blocker / 'dst')]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'cannot create DST' in err


def test_an_undecodable_image_is_named_and_the_rest_is_made(tree, capsys):
    src, dst, _ = tree
    (src / 'b' / 'broken.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    assert main([str(src), str(dst), '--workers', '1']) == 1
    captured = capsys.readouterr()
    assert 'broken.jpg' in captured.err and '1 failed' in captured.out
    assert (dst / 'a' / 'wide.jpg').is_file() and not (dst / 'b' / 'broken.jpg').exists()


def test_cub_boxes_are_rewritten_in_cached_pixels(tmp_path):
    src, dst = tmp_path / 'cub', tmp_path / 'cub_256'
    write_cub(str(src), train=100, test=100)
    # Every image is the same 500 x 375 JPEG with image 1's box (11, 20, 100, 50) painted white.
    jpeg = write_image(str(tmp_path / 'one.jpg'), 500, 375, box=(11, 20, 100, 50))
    for folder, _, files in os.walk(src / 'images'):
        for name in files:
            shutil.copyfile(jpeg, os.path.join(folder, name))
    assert main([str(src), str(dst), '--workers', '1']) == 0
    expected = {'train': (100, 100), 'test': (100, 100)}
    original, cached = load_cub(str(src), expected), load_cub(str(dst), expected)
    factor_x, factor_y = 341 / 500, 256 / 375
    np.testing.assert_allclose(cached.train.boxes,
                               original.train.boxes * [factor_x, factor_y, factor_x, factor_y],
                               atol=0.01)
    crop = crop_box(read_image(cached.train.paths[0]), cached.train.boxes[0])
    assert abs(crop.shape[1] - 100 * factor_x) <= 1 and abs(crop.shape[0] - 50 * factor_y) <= 1
    assert crop.mean() > 240   # the painted region, not its surroundings


def write_cars(root, jpeg):
    """A cars_annos.mat layout with one image per class, boxes in 1-based corners."""
    from scipy.io import savemat
    dtype = [('relative_im_path', 'O'), ('bbox_x1', 'O'), ('bbox_y1', 'O'), ('bbox_x2', 'O'),
             ('bbox_y2', 'O'), ('class', 'O'), ('test', 'O')]
    rows = []
    for c in range(1, 197):
        rel = 'car_ims/%06d.jpg' % c
        os.makedirs(os.path.join(root, 'car_ims'), exist_ok=True)
        shutil.copyfile(jpeg, os.path.join(root, rel))
        rows.append((rel, 31, 41, 230, 140, c, 0))
    annotations = np.array(rows, dtype=dtype).reshape(1, -1)
    names = np.array(['Car %d' % c for c in range(1, 197)], dtype=object).reshape(1, -1)
    savemat(os.path.join(root, 'cars_annos.mat'), {'annotations': annotations,
                                                    'class_names': names})


def test_cars_boxes_are_rewritten_in_cached_pixels(tmp_path):
    src, dst = tmp_path / 'cars', tmp_path / 'cars_256'
    # 0-based box (30, 40, 200, 100) painted white on a 640 x 480 image.
    jpeg = write_image(str(tmp_path / 'one.jpg'), 640, 480, box=(30, 40, 200, 100))
    write_cars(str(src), jpeg)
    assert main([str(src), str(dst), '--workers', '1']) == 0
    expected = {'train': (98, 98), 'test': (98, 98)}
    original, cached = load_cars196(str(src), expected), load_cars196(str(dst), expected)
    np.testing.assert_allclose(original.train.boxes[0], [30, 40, 200, 100])
    factor_x, factor_y = 341 / 640, 256 / 480   # each axis by its own rounding
    np.testing.assert_allclose(cached.test.boxes,
                               original.test.boxes * [factor_x, factor_y, factor_x, factor_y],
                               atol=1e-6)
    assert cached.train.class_names == original.train.class_names
    crop = crop_box(read_image(cached.train.paths[0]), cached.train.boxes[0])
    assert abs(crop.shape[1] - 200 * factor_x) <= 1 and abs(crop.shape[0] - 100 * factor_y) <= 1
    assert crop.mean() > 240
