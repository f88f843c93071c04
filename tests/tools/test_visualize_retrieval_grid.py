"""The embeddings file and the retrieval grid, on real images with known neighbours."""
import os

import cv2
import matplotlib.image
import numpy as np
import pytest

from common.evaluation.embeddings_file import (
    EmbeddingsFileError,
    load_embeddings,
    save_embeddings,
)
from common.tools.visualize.__main__ import main
from common.tools.visualize.retrieval_grid import (
    BORDER,
    GAP,
    OTHER_CLASS,
    PAD_COLOR,
    QUERY,
    SAME_CLASS,
    SEPARATOR,
    nearest_neighbours,
    retrieval_grid,
)

CLASSES, PER_CLASS, DIM = 6, 5, 8
# One solid RGB colour per class, none close to the border colours or the padding.
CLASS_COLORS = [(250, 220, 40), (30, 30, 30), (120, 60, 200), (90, 200, 220), (255, 130, 180),
                (140, 110, 60)]
SIZES = [(30, 40), (40, 30), (20, 50), (36, 36), (30, 40)]  # (height, width): some not square
MISPLACED = 4  # item 4 of class 0 is embedded inside class 1's cluster
THUMB = 24


def write_image(path, rgb, shape):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, np.full(shape + (3,), rgb[::-1], dtype=np.uint8))  # cv2 is BGR
    return path


@pytest.fixture
def dataset(tmp_path):
    """Paths, labels and embeddings of 6 x 5 images; classes 10 apart, one item misplaced."""
    rng = np.random.default_rng(3)
    paths, labels = [], []
    for c in range(CLASSES):
        for i in range(PER_CLASS):
            paths.append(write_image(str(tmp_path / 'images' / ('class%d' % c) / ('%d.png' % i)),
                                     CLASS_COLORS[c], SIZES[i]))
            labels.append(c)
    labels = np.array(labels)
    centres = 10.0 * np.eye(CLASSES, DIM)
    embeddings = centres[labels] + rng.normal(0, 0.5, (len(labels), DIM))
    embeddings[MISPLACED] = centres[1] + rng.normal(0, 0.5, DIM)
    return paths, labels, embeddings.astype(np.float32)


@pytest.fixture
def npz(tmp_path, dataset):
    paths, labels, embeddings = dataset
    return save_embeddings(str(tmp_path / 'run_embeddings.npz'), embeddings, labels, paths,
                           'euclidean', class_names=['class %d' % c for c in range(CLASSES)])


def brute_force(queries, gallery, k, exclude=None):
    """Neighbour indices by float64 squared distance, ties by index."""
    d = ((queries[:, None, :].astype(np.float64) - gallery[None].astype(np.float64)) ** 2).sum(-1)
    if exclude is not None:
        d[np.arange(len(queries)), exclude] = np.inf
    return np.argsort(d, axis=1, kind='stable')[:, :k]


def cell_origin(row, col):
    """The documented layout, recomputed here rather than taken from the module."""
    step = THUMB + 2 * BORDER + GAP
    return GAP + row * step, GAP + col * step + (SEPARATOR if col else 0)


def border_pixels(image, row, col):
    """Four pixels in the middle of the cell's four border strips."""
    y, x = cell_origin(row, col)
    cell, mid = THUMB + 2 * BORDER, (THUMB + 2 * BORDER) // 2
    b = BORDER // 2
    return [tuple(image[y + b, x + mid]), tuple(image[y + cell - 1 - b, x + mid]),
            tuple(image[y + mid, x + b]), tuple(image[y + mid, x + cell - 1 - b])]


def centre_pixel(image, row, col):
    y, x = cell_origin(row, col)
    return tuple(image[y + BORDER + THUMB // 2, x + BORDER + THUMB // 2])


def read_png(path):
    return np.round(matplotlib.image.imread(path)[..., :3] * 255).astype(np.uint8)


def test_save_and_load_round_trip(tmp_path, dataset):
    paths, labels, embeddings = dataset
    path = str(tmp_path / 'no_extension')
    save_embeddings(path, embeddings, labels, paths, 'cosine', class_names=list('abcdef'))
    assert sorted(os.listdir(tmp_path)) == ['images', 'no_extension']  # no .npz, no .tmp left
    data = load_embeddings(path)
    np.testing.assert_array_equal(data.embeddings, embeddings)
    np.testing.assert_array_equal(data.labels, labels)
    assert data.paths == paths and data.metric == 'cosine' and not data.has_gallery
    assert data.class_name(2) == 'c' and data.embeddings.dtype == np.float32
    with np.load(path, allow_pickle=False) as npz:  # plain arrays: readable without pickle
        assert npz['metric'].ndim == 0


def test_grid_neighbours_and_border_colours(tmp_path, npz, dataset):
    paths, labels, embeddings = dataset
    queries = np.array([MISPLACED, 5, 0, 17, 29])  # the misplaced item, class 1, class 0, ...
    k = 5
    out = str(tmp_path / 'out' / 'grid.png')
    image, correct = retrieval_grid(npz, out, k=k, query_indices=queries, thumb=THUMB)

    expected = brute_force(embeddings[queries], embeddings, k, exclude=queries)
    np.testing.assert_array_equal(nearest_neighbours(load_embeddings(npz), queries, k)[0],
                                  expected)
    np.testing.assert_array_equal(correct, labels[expected] == labels[queries][:, None])
    assert not correct[0].any()  # the misplaced class-0 item sits among class 1
    assert not correct[1].all() and MISPLACED in expected[1]  # class 1 retrieves it
    assert correct.any() and correct.shape == (len(queries), k)

    cell = THUMB + 2 * BORDER
    assert image.dtype == np.uint8
    assert image.shape == (GAP + len(queries) * (cell + GAP),
                           GAP + (k + 1) * (cell + GAP) + SEPARATOR, 3)
    png = read_png(out)
    np.testing.assert_array_equal(png, image)
    assert os.path.isfile(str(tmp_path / 'out' / 'grid.pdf'))
    for r, q in enumerate(queries):
        query_border = border_pixels(png, r, 0)
        assert query_border == [QUERY] * 4
        assert SAME_CLASS not in query_border and OTHER_CLASS not in query_border
        assert centre_pixel(png, r, 0) == CLASS_COLORS[labels[q]]
        for c in range(k):
            colour = SAME_CLASS if correct[r, c] else OTHER_CLASS
            assert border_pixels(png, r, c + 1) == [colour] * 4, (r, c)
            # The thumbnail is the neighbour's own image (colours in RGB order).
            assert centre_pixel(png, r, c + 1) == CLASS_COLORS[labels[expected[r, c]]]


def test_thumbnails_keep_aspect_ratio(tmp_path, npz):
    image, _ = retrieval_grid(npz, str(tmp_path / 'grid'), query_indices=[0, 2], k=1,
                              thumb=THUMB)
    assert os.path.isfile(str(tmp_path / 'grid.png'))
    # Item 0 is 30 x 40 (wide): padded above and below; item 2 is 20 x 50.
    y, x = cell_origin(0, 0)
    inner = image[y + BORDER:y + BORDER + THUMB, x + BORDER:x + BORDER + THUMB]
    assert tuple(inner[0, THUMB // 2]) == PAD_COLOR
    assert tuple(inner[THUMB // 2, 0]) == CLASS_COLORS[0]
    rows = (inner == CLASS_COLORS[0]).all(axis=(1, 2)).sum()
    assert rows == round(THUMB * 30 / 40)


def test_random_queries_are_seeded(tmp_path, npz):
    a = retrieval_grid(npz, str(tmp_path / 'a.png'), queries=4, k=2, seed=1, thumb=THUMB)
    b = retrieval_grid(npz, str(tmp_path / 'b.png'), queries=4, k=2, seed=1, thumb=THUMB)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1].shape == (4, 2)


def test_cosine_and_euclidean_differ(tmp_path, dataset):
    paths = dataset[0]
    # Query (1, 0): euclidean-nearest is (0.5, 0.6) of class 1, cosine-nearest (10, 1) of class 0.
    embeddings = np.array([[1, 0], [10, 1], [0.5, 0.6]], dtype=np.float32)
    labels = [0, 0, 1]
    picked = [paths[0], paths[1], paths[5]]
    results = {}
    for metric in ('euclidean', 'cosine'):
        path = save_embeddings(str(tmp_path / (metric + '.npz')), embeddings, labels, picked,
                               metric)
        neighbours, _ = nearest_neighbours(load_embeddings(path), [0], 1)
        _, correct = retrieval_grid(path, str(tmp_path / metric), query_indices=[0], k=1,
                                    thumb=THUMB)
        results[metric] = (neighbours[0, 0], correct[0, 0])
    assert results == {'euclidean': (2, False), 'cosine': (1, True)}


def test_gallery_is_searched_without_exclusion(tmp_path, dataset):
    paths, labels, embeddings = dataset
    queries = np.arange(0, 30, 5)  # item 0 of each class
    gallery_idx = np.array([i for i in range(30) if i % 5])  # the other items
    # A gallery copy of query 0 (distance 0) with its own look: it must come first.
    copy = write_image(str(tmp_path / 'gallery' / 'copy.png'), (0, 0, 255), (30, 30))
    g_emb = np.concatenate([embeddings[gallery_idx], embeddings[:1]])
    g_labels = np.concatenate([labels[gallery_idx], [0]])
    g_paths = [paths[i] for i in gallery_idx] + [copy]
    npz = save_embeddings(str(tmp_path / 'inshop.npz'), embeddings[queries], labels[queries],
                          [paths[i] for i in queries], 'euclidean',
                          gallery=(g_emb, g_labels, g_paths))
    data = load_embeddings(npz)
    assert data.has_gallery
    k = 4
    neighbours, _ = nearest_neighbours(data, np.arange(len(queries)), k)
    np.testing.assert_array_equal(neighbours, brute_force(embeddings[queries], g_emb, k))
    assert neighbours[0, 0] == len(g_emb) - 1  # the identical copy is not excluded
    image, correct = retrieval_grid(data, str(tmp_path / 'g.png'), k=k, thumb=THUMB,
                                    query_indices=np.arange(len(queries)))
    np.testing.assert_array_equal(correct, g_labels[neighbours] == labels[queries][:, None])
    assert centre_pixel(image, 0, 1) == (0, 0, 255)
    # Classes 2-5 have exactly k gallery items and no intruder: all correct.
    assert correct[0].all() and correct[2:].all()


def test_missing_image_names_the_path(tmp_path, npz, dataset):
    paths = dataset[0]
    os.remove(paths[7])
    with pytest.raises(FileNotFoundError, match='class1/2.png.*where the training run'):
        retrieval_grid(npz, str(tmp_path / 'g.png'), query_indices=[7], k=1)


def test_path_map_finds_moved_images(tmp_path, npz, dataset):
    old = str(tmp_path / 'images')
    os.rename(old, str(tmp_path / 'moved'))
    _, correct = retrieval_grid(npz, str(tmp_path / 'g.png'), query_indices=[7], k=2,
                                thumb=THUMB, path_map=(old, str(tmp_path / 'moved')))
    assert correct.shape == (1, 2)


def test_file_errors(tmp_path, dataset):
    paths, labels, embeddings = dataset
    missing = str(tmp_path / 'missing_key.npz')
    np.savez(missing, embeddings=embeddings, labels=labels, metric=np.array('euclidean'))
    with pytest.raises(EmbeddingsFileError, match='missing_key.npz.*paths'):
        load_embeddings(missing)
    short = str(tmp_path / 'short.npz')
    np.savez(short, embeddings=embeddings, labels=labels[:-1], paths=np.array(paths),
             metric=np.array('euclidean'))
    with pytest.raises(EmbeddingsFileError, match='short.npz.*30 rows.*29 labels'):
        load_embeddings(short)
    with pytest.raises(EmbeddingsFileError, match='no such embeddings file'):
        load_embeddings(str(tmp_path / 'nothing.npz'))
    with pytest.raises(ValueError, match='30 rows.*30 labels and 29 paths'):
        save_embeddings(str(tmp_path / 'x.npz'), embeddings, labels, paths[:-1], 'euclidean')
    with pytest.raises(ValueError, match='metric'):
        save_embeddings(str(tmp_path / 'x.npz'), embeddings, labels, paths, 'manhattan')
    assert not os.path.exists(str(tmp_path / 'x.npz'))


def test_cli_grid(tmp_path, npz, capsys):
    out = str(tmp_path / 'cli' / 'x_grid.png')
    files = main(['grid', npz, '--out', out, '--queries', '3', '--k', '2', '--thumb', '32'])
    assert files == (out, out[:-4] + '.pdf')
    assert 'wrote %s' % out in capsys.readouterr().out
    assert read_png(out).shape[0] == GAP + 3 * (32 + 2 * BORDER + GAP)


@pytest.mark.parametrize('argv, message', [
    (['--k', '0'], '--k must be at least 1'),
    (['--queries', '0'], '--queries must be at least 1'),
    (['--out', 'x.jpg'], 'must end in .png'),
])
def test_cli_rejects_bad_options(npz, capsys, argv, message):
    with pytest.raises(SystemExit):
        main(['grid', npz] + argv)
    assert message in capsys.readouterr().err


def test_cli_missing_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(['grid', str(tmp_path / 'absent.npz')])
    assert 'absent.npz not found' in capsys.readouterr().err
