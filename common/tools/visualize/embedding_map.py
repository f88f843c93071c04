"""A 2-D map (t-SNE, or PCA for a quick look) of the test embeddings, coloured by class."""
import os

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...evaluation import l2_normalized
from ...evaluation.embeddings_file import as_embeddings

METHODS = ('tsne', 'pca')
LEGEND_MAX_CLASSES = 20  # beyond this a legend hides the map


def map_files(out):
    """(PNG, PDF) paths for ``out``: it may end in .png or .pdf or have no extension."""
    out = os.fspath(out)
    stem, ext = os.path.splitext(out)
    if ext.lower() not in ('', '.png', '.pdf'):
        raise ValueError('the map output %s must end in .png or .pdf or have no extension '
                         '(both files are written)' % out)
    return stem + '.png', stem + '.pdf'


def subsample(n, max_points, seed):
    """Sorted indices of at most ``max_points`` of ``n`` points, drawn with ``seed``."""
    if max_points < 3:
        raise ValueError('max_points must be at least 3, not %d' % max_points)
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def project(points, method='tsne', perplexity=30, seed=0):
    """2-D coordinates of ``points`` (n x D) by t-SNE or PCA."""
    if method not in METHODS:
        raise ValueError('method must be one of %s, not %r' % (', '.join(METHODS), method))
    if perplexity <= 0:
        raise ValueError('perplexity must be positive, not %g' % perplexity)
    if len(points) < 3 or points.shape[1] < 2:
        raise ValueError('a 2-D map needs at least 3 embeddings of dimension 2 or more, '
                         'got shape %s' % (points.shape,))
    if method == 'pca':
        from sklearn.decomposition import PCA
        return PCA(n_components=2, random_state=seed).fit_transform(points)
    from sklearn.manifold import TSNE
    # sklearn requires perplexity < n_samples.
    perplexity = min(float(perplexity), len(points) - 1.0)
    tsne = TSNE(n_components=2, perplexity=perplexity, init='pca', random_state=seed)
    return tsne.fit_transform(points)


def class_colors(n_classes):
    """``n_classes`` distinct RGBA colours: qualitative palettes when they suffice, else
    evenly spaced hues of a rainbow."""
    if n_classes <= 10:
        return matplotlib.colormaps['tab10'](np.arange(n_classes))
    if n_classes <= 20:
        return matplotlib.colormaps['tab20'](np.arange(n_classes))
    # Resampled to n_classes entries: the default 256-entry table would repeat colours.
    return matplotlib.colormaps['gist_rainbow'].resampled(n_classes)(np.arange(n_classes))


def plot_map(coords, labels, title, class_name=str):
    """A scatter of ``coords`` with one colour per distinct label; returns the Figure."""
    classes, index = np.unique(labels, return_inverse=True)
    colors = class_colors(len(classes))
    fig = Figure(figsize=(8, 8), layout='tight')
    ax = fig.add_subplot()
    size = 12 if len(coords) <= 1000 else 4
    ax.scatter(coords[:, 0], coords[:, 1], c=colors[index], s=size, linewidths=0)
    if len(classes) <= LEGEND_MAX_CLASSES:
        # Proxy artists: the scatter stays the axes' only collection.
        handles = [Line2D([], [], marker='o', linestyle='', color=color,
                          label=class_name(int(label))) for color, label in zip(colors, classes)]
        ax.legend(handles=handles, fontsize='small', loc='best')
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def embedding_map(data, out, perplexity=30, seed=0, max_points=5000, method='tsne'):
    """Save a 2-D map of the test embeddings of ``data`` (an :class:`Embeddings` or a file).

    Cosine files are L2-normalised first; more than ``max_points`` embeddings are
    subsampled with ``seed``. Writes ``out`` as .png and .pdf; returns the coordinates
    (n x 2) and the (PNG, PDF) paths.
    """
    data = as_embeddings(data)
    files = map_files(out)
    keep = subsample(len(data.embeddings), max_points, seed)
    points = data.embeddings[keep]
    if data.metric == 'cosine':
        points = l2_normalized(points)
    coords = project(points, method, perplexity, seed)
    labels = data.labels[keep]
    title = '%s of %d test embeddings (%s), %d classes\n%s' % (
        't-SNE' if method == 'tsne' else 'PCA', len(points), data.metric,
        len(np.unique(labels)), os.path.basename(data.source))
    fig = plot_map(coords, labels, title, data.class_name)
    os.makedirs(os.path.dirname(os.path.abspath(files[0])), exist_ok=True)
    for path in files:
        fig.savefig(path, dpi=150)
    return coords, files
