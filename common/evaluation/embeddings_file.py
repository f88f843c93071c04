"""The embeddings file a training run saves (``--save-embeddings``) and the visualisations read.

A plain ``.npz`` (numpy arrays only, no pickles) with the keys

* ``embeddings`` (N x D float32), ``labels`` (N int64), ``paths`` (N str): the test split,
  or the query split of a dataset with a separate gallery;
* ``gallery_embeddings``, ``gallery_labels``, ``gallery_paths``: only with a gallery (In-Shop);
* ``metric``: 0-d str, ``'euclidean'`` or ``'cosine'`` (compare L2-normalised rows);
* ``class_names`` (optional, C str indexed by label).

Other keys (e.g. ``boxes``) are ignored when loading.
"""
import os
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from ..io import write_atomically

METRICS = ('euclidean', 'cosine')
_REQUIRED = ('embeddings', 'labels', 'paths', 'metric')
_GALLERY = ('gallery_embeddings', 'gallery_labels', 'gallery_paths')


class EmbeddingsFileError(ValueError):
    """An embeddings file that is missing, unreadable or inconsistent."""


@dataclass
class Embeddings:
    """The contents of one embeddings file (``source`` is where it came from, for messages)."""
    embeddings: np.ndarray
    labels: np.ndarray
    paths: List[str]
    metric: str
    class_names: Optional[List[str]] = None
    gallery_embeddings: Optional[np.ndarray] = None
    gallery_labels: Optional[np.ndarray] = None
    gallery_paths: Optional[List[str]] = None
    source: str = '<memory>'

    @property
    def has_gallery(self):
        return self.gallery_embeddings is not None

    def __post_init__(self):
        self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
        self.labels = np.asarray(self.labels, dtype=np.int64).ravel()
        self.paths = [str(p) for p in self.paths]
        self.metric = str(self.metric)
        if self.class_names is not None:
            self.class_names = [str(c) for c in self.class_names]
        if self.has_gallery:
            self.gallery_embeddings = np.asarray(self.gallery_embeddings, dtype=np.float32)
            self.gallery_labels = np.asarray(self.gallery_labels, dtype=np.int64).ravel()
            self.gallery_paths = [str(p) for p in self.gallery_paths]
        self._validate()

    def _fail(self, message):
        raise EmbeddingsFileError('%s: %s' % (self.source, message))

    def _check_split(self, name, embeddings, labels, paths):
        if embeddings.ndim != 2 or len(embeddings) == 0:
            self._fail('%s must be a non-empty N x D array, got shape %s'
                       % (name, embeddings.shape))
        if not len(embeddings) == len(labels) == len(paths):
            self._fail('%s has %d rows but there are %d labels and %d paths; the file is '
                       'inconsistent, save it again' % (name, len(embeddings), len(labels),
                                                        len(paths)))

    def _validate(self):
        if self.metric not in METRICS:
            self._fail('metric must be one of %s, not %r' % (', '.join(METRICS), self.metric))
        self._check_split('embeddings', self.embeddings, self.labels, self.paths)
        labels = self.labels
        if self.has_gallery:
            self._check_split('gallery_embeddings', self.gallery_embeddings,
                              self.gallery_labels, self.gallery_paths)
            if self.gallery_embeddings.shape[1] != self.embeddings.shape[1]:
                self._fail('gallery embeddings have dimension %d but the queries have %d'
                           % (self.gallery_embeddings.shape[1], self.embeddings.shape[1]))
            labels = np.concatenate([labels, self.gallery_labels])
        if self.class_names is not None and (labels.min() < 0
                                             or labels.max() >= len(self.class_names)):
            self._fail('labels must index class_names (0..%d), found %d..%d'
                       % (len(self.class_names) - 1, labels.min(), labels.max()))

    def class_name(self, label):
        """The name of ``label``, or the number itself when the file has no class names."""
        return self.class_names[label] if self.class_names is not None else str(label)


def load_embeddings(path):
    """Read and validate an embeddings file; raises :class:`EmbeddingsFileError`."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise EmbeddingsFileError('%s: no such embeddings file (train with --save-embeddings '
                                  'to write one)' % path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as e:  # not a zip, truncated, or holding pickled objects
        raise EmbeddingsFileError('%s: not a readable .npz embeddings file (%s)' % (path, e))
    missing = [key for key in _REQUIRED if key not in arrays]
    if missing:
        raise EmbeddingsFileError('%s: missing key(s) %s; it must hold %s'
                                  % (path, ', '.join(missing), ', '.join(_REQUIRED)))
    present = [key for key in _GALLERY if key in arrays]
    if present and len(present) != len(_GALLERY):
        raise EmbeddingsFileError('%s: has %s but not all of %s'
                                  % (path, ', '.join(present), ', '.join(_GALLERY)))
    if arrays['metric'].ndim != 0:
        raise EmbeddingsFileError('%s: metric must be a single string' % path)
    return Embeddings(
        embeddings=arrays['embeddings'], labels=arrays['labels'], paths=arrays['paths'],
        metric=arrays['metric'].item(), class_names=arrays.get('class_names'),
        gallery_embeddings=arrays.get('gallery_embeddings'),
        gallery_labels=arrays.get('gallery_labels'), gallery_paths=arrays.get('gallery_paths'),
        source=path)


def as_embeddings(data):
    """``data`` itself when it is an :class:`Embeddings`, else the file it names, loaded."""
    return data if isinstance(data, Embeddings) else load_embeddings(data)


def save_embeddings(path, embeddings, labels, paths, metric, class_names=None, gallery=None):
    """Write an embeddings file atomically (a reader never sees half a file).

    ``gallery`` is ``(embeddings, labels, paths)`` or None. ``path`` is used as given:
    no ``.npz`` is appended. The arrays are validated as :func:`load_embeddings` would.
    """
    path = os.fspath(path)
    if gallery is not None and len(gallery) != 3:
        raise ValueError('save_embeddings: gallery must be (embeddings, labels, paths)')
    g_emb, g_labels, g_paths = gallery if gallery is not None else (None, None, None)
    data = Embeddings(embeddings, labels, paths, metric, class_names, g_emb, g_labels, g_paths,
                      source=path)
    arrays = {'embeddings': data.embeddings, 'labels': data.labels,
              # str arrays (not object arrays) so that loading needs no pickle
              'paths': np.array(data.paths, dtype=str), 'metric': np.array(data.metric)}
    if data.class_names is not None:
        arrays['class_names'] = np.array(data.class_names, dtype=str)
    if data.has_gallery:
        arrays.update(gallery_embeddings=data.gallery_embeddings,
                      gallery_labels=data.gallery_labels,
                      gallery_paths=np.array(data.gallery_paths, dtype=str))
    def write(tmp):
        # A file object, because numpy.savez appends '.npz' to a name without it.
        with open(tmp, 'wb') as f:
            np.savez(f, **arrays)
    write_atomically(path, write)
    return path
