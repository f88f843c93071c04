"""The t-SNE map of saved embeddings: files, coordinates, subsampling and class colours."""
import os

import matplotlib.image
import numpy as np
import pytest
from matplotlib.colors import to_rgba_array

from common.evaluation.embeddings_file import load_embeddings, save_embeddings
from common.tools.visualize.__main__ import main
from common.tools.visualize.embedding_map import class_colors, embedding_map, plot_map

CLASSES, PER_CLASS, DIM = 6, 20, 16


@pytest.fixture
def npz(tmp_path):
    """120 embeddings in 6 well separated classes (the images are never read)."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(CLASSES), PER_CLASS)
    embeddings = 8.0 * np.eye(CLASSES, DIM)[labels] + rng.normal(0, 1, (len(labels), DIM))
    paths = ['/nowhere/%d.jpg' % i for i in range(len(labels))]
    return save_embeddings(str(tmp_path / 'run_embeddings.npz'), embeddings, labels, paths,
                           'cosine', class_names=['class %d' % c for c in range(CLASSES)])


def distinct_colors(colors):
    return {tuple(np.round(c, 4)) for c in to_rgba_array(colors)}


def test_map_files_coordinates_and_colours(tmp_path, npz):
    out = str(tmp_path / 'maps' / 'x_tsne')
    coords, files = embedding_map(npz, out, seed=0)
    assert files == (out + '.png', out + '.pdf')
    for path in files:
        assert os.path.getsize(path) > 1000
    assert coords.shape == (CLASSES * PER_CLASS, 2) and np.isfinite(coords).all()
    # Well separated classes stay apart: each point's nearest neighbour shares its class.
    labels = load_embeddings(npz).labels
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.95

    image = matplotlib.image.imread(files[0])[..., :3]
    assert image.shape[0] >= 600 and image.shape[1] >= 600
    # Every class colour is drawn (marker centres are exact, up to 8-bit rounding).
    for color in class_colors(CLASSES):
        close = np.abs(image - color[:3]).max(axis=-1) < 2 / 255
        assert close.sum() >= 3, color


def test_scatter_has_one_colour_per_class():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 7, 300)
    labels[:7] = np.arange(7)  # every class present
    fig = plot_map(rng.normal(size=(300, 2)), labels, 'title')
    (scatter,) = fig.axes[0].collections
    facecolors = scatter.get_facecolors()
    assert len(facecolors) == 300 and len(distinct_colors(facecolors)) == 7
    for c in range(7):  # one colour per class, and the same one for all its points
        assert len(distinct_colors(facecolors[labels == c])) == 1


@pytest.mark.parametrize('n_classes', [3, 15, 300])
def test_class_colours_are_distinct(n_classes):
    assert len(distinct_colors(class_colors(n_classes))) == n_classes


def test_max_points_subsamples_and_perplexity_is_clipped(tmp_path, npz):
    coords, files = embedding_map(npz, str(tmp_path / 'small.png'), max_points=10,
                                  perplexity=30, seed=2)
    assert coords.shape == (10, 2) and np.isfinite(coords).all()
    assert files == (str(tmp_path / 'small.png'), str(tmp_path / 'small.pdf'))
    again, _ = embedding_map(npz, str(tmp_path / 'again'), max_points=10, perplexity=30,
                             seed=2)
    np.testing.assert_allclose(again, coords)


def test_pca_and_cosine_normalisation(tmp_path, npz):
    data = load_embeddings(npz)
    data.embeddings *= 100
    coords, _ = embedding_map(data, str(tmp_path / 'pca'), method='pca')
    assert coords.shape == (CLASSES * PER_CLASS, 2)
    assert np.abs(coords).max() < 2  # unit rows: the cosine file is compared normalised
    data.metric = 'euclidean'
    coords, _ = embedding_map(data, str(tmp_path / 'pca'), method='pca')
    assert np.abs(coords).max() > 100


def test_bad_values(tmp_path, npz):
    with pytest.raises(ValueError, match='method'):
        embedding_map(npz, str(tmp_path / 'x'), method='umap')
    with pytest.raises(ValueError, match='must end in .png or .pdf'):
        embedding_map(npz, str(tmp_path / 'x.jpg'))


def test_cli_tsne(tmp_path, npz, capsys):
    out = str(tmp_path / 'cli_tsne')
    files = main(['tsne', npz, '--out', out, '--max-points', '40', '--perplexity', '10'])
    assert files == (out + '.png', out + '.pdf')
    assert all(os.path.isfile(f) for f in files)
    assert 'wrote %s.pdf' % out in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(['tsne', npz, '--perplexity', '0'])
    assert '--perplexity must be positive' in capsys.readouterr().err
