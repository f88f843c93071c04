"""A grid of retrieval results: each row a query image and its k nearest neighbours.

The grid is composed as one numpy array (so border colours are exact pixels) and
saved as a PNG; a PDF beside it shows the same array under a title.

Layout (pixels): a ``GAP`` margin around everything and between cells, plus
``SEPARATOR`` extra pixels between the query column and the neighbours. Each cell
is ``thumb + 2 * BORDER`` square: a solid border in the cell's colour around the
thumbnail, which keeps its aspect ratio and is padded with ``PAD_COLOR``.
"""
import os

import cv2
import matplotlib.image
import numpy as np
from matplotlib.figure import Figure

from ...data.decode import read_image
from ...evaluation import exact_knn, l2_normalized
from ...evaluation.embeddings_file import as_embeddings

SAME_CLASS = (0, 160, 0)  # green
OTHER_CLASS = (200, 0, 0)  # red
QUERY = (40, 90, 200)  # blue: neither right nor wrong
UNKNOWN = (150, 150, 150)  # grey: a neighbour of a query whose class is unknown
PAD_COLOR = (235, 235, 235)
BACKGROUND = (255, 255, 255)
BORDER = 4
GAP = 4
SEPARATOR = 12
TITLE = 'query | top-{k} neighbours\n(green: same class, red: other class)'


def choose_queries(n, queries, seed):
    """``queries`` distinct indices below ``n`` drawn with ``seed`` (all of them if fewer)."""
    if queries < 1:
        raise ValueError('queries must be at least 1, not %d' % queries)
    return np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)


def nearest_neighbours(data, query_indices, k):
    """Indices (queries x k) of each query's k nearest gallery items, and whether each
    has the query's label.

    Without a separate gallery the other items of the same split are the gallery
    (the query itself is excluded by index). Distances follow the file's metric.
    """
    data = as_embeddings(data)
    query_indices = np.asarray(query_indices, dtype=np.int64).ravel()
    n = len(data.embeddings)
    if len(query_indices) == 0 or query_indices.min() < 0 or query_indices.max() >= n:
        raise ValueError('query indices must be in 0..%d (%s has %d queries)'
                         % (n - 1, data.source, n))
    gallery = data.gallery_embeddings if data.has_gallery else data.embeddings
    g_labels = data.gallery_labels if data.has_gallery else data.labels
    candidates = len(gallery) - (0 if data.has_gallery else 1)
    if k < 1:
        raise ValueError('k must be at least 1, not %d' % k)
    if k > candidates:
        raise ValueError('k=%d, but %s has only %d candidate neighbours per query; use a '
                         'smaller k' % (k, data.source, candidates))
    queries = data.embeddings[query_indices]
    if data.metric == 'cosine':
        queries, gallery = l2_normalized(queries), l2_normalized(gallery)
    if data.has_gallery:
        idx, _ = exact_knn(queries, gallery, k)
    else:
        # Search only the chosen queries (not all N x N) and drop each query's own index;
        # with one extra neighbour, k others always remain.
        idx, _ = exact_knn(queries, gallery, k + 1)
        idx = np.stack([row[row != q][:k] for row, q in zip(idx, query_indices)])
    idx = idx.astype(np.int64)
    return idx, g_labels[idx] == data.labels[query_indices][:, None]


def remap(path, path_map):
    """``path`` with the prefix ``path_map[0]`` replaced by ``path_map[1]``."""
    if path_map is not None and path.startswith(path_map[0]):
        return path_map[1] + path[len(path_map[0]):]
    return path


def read_thumbnail(path, thumb):
    """The image at ``path`` (RGB), scaled to fit ``thumb`` x ``thumb`` and padded to it."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            'image %s not found: the images must be where the training run read them, '
            'or remap their folder with path_map=(old_prefix, new_prefix) (--path-map OLD NEW)'
            % path)
    image = read_image(path)
    h, w = image.shape[:2]
    scale = thumb / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # INTER_AREA averages when shrinking (no aliasing); it is not meant for enlarging.
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = cv2.resize(image, size, interpolation=interpolation)
    out = np.empty((thumb, thumb, 3), dtype=np.uint8)
    out[:] = PAD_COLOR
    top, left = (thumb - size[1]) // 2, (thumb - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = image
    return out


def cell_origin(row, col, thumb):
    """Top-left pixel (y, x) of the cell of ``row`` and ``col`` (column 0: the query)."""
    step = thumb + 2 * BORDER + GAP
    return GAP + row * step, GAP + col * step + (SEPARATOR if col > 0 else 0)


def compose_grid(thumbnails, colors, thumb):
    """One RGB array from a rows x columns list of thumbnails and their border colours."""
    rows, cols = len(thumbnails), len(thumbnails[0])
    height, _ = cell_origin(rows, 0, thumb)
    _, width = cell_origin(0, cols, thumb)
    grid = np.empty((height, width, 3), dtype=np.uint8)
    grid[:] = BACKGROUND
    cell = thumb + 2 * BORDER
    for r in range(rows):
        for c in range(cols):
            y, x = cell_origin(r, c, thumb)
            grid[y:y + cell, x:x + cell] = colors[r][c]
            grid[y + BORDER:y + BORDER + thumb, x + BORDER:x + BORDER + thumb] = thumbnails[r][c]
    return grid


def grid_files(out):
    """(PNG, PDF) paths for ``out``: it may end in .png or have no extension."""
    out = os.fspath(out)
    stem, ext = os.path.splitext(out)
    if ext.lower() not in ('', '.png'):
        raise ValueError('the grid output %s must end in .png (a lossless format keeps '
                         'the border colours exact) or have no extension' % out)
    return stem + '.png', stem + '.pdf'


def _save(grid, out, k, title=TITLE):
    png, pdf = grid_files(out)
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    # The PNG is the array itself, pixel for pixel.
    matplotlib.image.imsave(png, grid)
    h, w = grid.shape[:2]
    title_height = 60  # in hundredths of an inch, for two lines of 10 pt
    # A Figure without pyplot renders with Agg and leaves any interactive backend alone;
    # at least 4 inches wide so that the title fits above a narrow grid.
    fig = Figure(figsize=(max(w, 400) / 100, (h + title_height) / 100))
    ax = fig.add_axes((0, 0, 1, h / (h + title_height)))
    ax.imshow(grid, interpolation='nearest')
    ax.set_axis_off()
    fig.suptitle(title.format(k=k), fontsize=10)
    fig.savefig(pdf)
    return png, pdf


def retrieval_grid(data, out, queries=8, k=5, seed=0, query_indices=None, thumb=96,
                   path_map=None):
    """Draw and save the retrieval grid of ``data`` (an :class:`Embeddings` or a file path).

    Rows are ``queries`` queries drawn with ``seed`` (or ``query_indices``); column 0 is
    the query (blue border), columns 1..k its nearest neighbours with a green border when
    their label is the query's and red otherwise. ``path_map=(old_prefix, new_prefix)``
    finds images that moved since the run. Writes ``out`` (.png) and a titled .pdf beside
    it; returns the grid (H x W x 3 uint8) and the correctness matrix (queries x k bool).
    """
    data = as_embeddings(data)
    if thumb < 8:
        raise ValueError('thumb must be at least 8 pixels, not %d' % thumb)
    grid_files(out)  # a bad output name fails before any work
    if query_indices is None:
        query_indices = choose_queries(len(data.embeddings), queries, seed)
    neighbours, correct = nearest_neighbours(data, query_indices, k)
    g_paths = data.gallery_paths if data.has_gallery else data.paths
    cache = {}

    def thumbnail(path):
        path = remap(path, path_map)
        if path not in cache:
            cache[path] = read_thumbnail(path, thumb)
        return cache[path]

    thumbnails, colors = [], []
    for q, row, hits in zip(np.ravel(query_indices), neighbours, correct):
        thumbnails.append([thumbnail(data.paths[q])] + [thumbnail(g_paths[i]) for i in row])
        colors.append([QUERY] + [SAME_CLASS if hit else OTHER_CLASS for hit in hits])
    grid = compose_grid(thumbnails, colors, thumb)
    _save(grid, out, k)
    return grid, correct


def path_grid(rows, colors, out, thumb=96, title=TITLE):
    """Draw and save a grid of image files: ``rows`` of paths (column 0 the query, all
    rows as long) with their border ``colors``; for neighbours found elsewhere than in an
    embeddings file (e.g. a faiss index). Returns the grid (H x W x 3 uint8)."""
    grid_files(out)
    cache = {}

    def thumbnail(path):
        if path not in cache:
            cache[path] = read_thumbnail(path, thumb)
        return cache[path]

    grid = compose_grid([[thumbnail(p) for p in row] for row in rows], colors, thumb)
    _save(grid, out, len(rows[0]) - 1, title)
    return grid
