"""The index folder on disk.

    index.json      the model folder, embedding size, metric, index type and parameters
    listing.csv     every image listed for embedding (row, path, class), in order
    shards/         embeddings of consecutive listing rows, one file per shard: a rerun
                    embeds only the rows no shard holds yet
    index.faiss     the faiss index; vector i is row i of images.csv
    images.csv      id, path, class of each indexed image
    skipped.csv     path, class and error of each image that could not be read

Tables are read and written with pandas; every file is written atomically.
"""
import json
import os

import numpy as np
import pandas as pd

from ...io import write_atomically, write_json_atomic

SETTINGS = 'index.json'
LISTING = 'listing.csv'
SHARDS = 'shards'
FAISS = 'index.faiss'
IMAGES = 'images.csv'
SKIPPED = 'skipped.csv'
FORMAT = 1


class IndexFolderError(ValueError):
    """An index folder that cannot be used as asked (the message names it)."""


def _write_csv(path, table):
    write_atomically(path, lambda tmp: table.to_csv(tmp, index=False))


def _read_csv(path):
    # Class folders such as "0042" stay strings; an empty class is '' rather than NaN.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class IndexFolder:
    def __init__(self, folder):
        self.folder = folder

    def path(self, name):
        return os.path.join(self.folder, name)

    # --- settings ------------------------------------------------------------------------
    def exists(self):
        return os.path.isfile(self.path(SETTINGS))

    def settings(self):
        if not self.exists():
            raise IndexFolderError('%s is not an index folder (no %s); build one with python -m '
                                   'common.tools.index build' % (self.folder, SETTINGS))
        with open(self.path(SETTINGS)) as f:
            return json.load(f)

    def write_settings(self, settings):
        os.makedirs(self.folder, exist_ok=True)
        write_json_atomic(self.path(SETTINGS), dict(settings, format=FORMAT))

    # --- the listing and its shards ------------------------------------------------------
    def listing(self):
        if not os.path.isfile(self.path(LISTING)):
            return pd.DataFrame({'path': [], 'class': []}, dtype=str)
        return _read_csv(self.path(LISTING))[['path', 'class']]

    def write_listing(self, listing):
        _write_csv(self.path(LISTING), listing[['path', 'class']])

    def shard_name(self, start, stop):
        return os.path.join(self.path(SHARDS), '%09d-%09d.npz' % (start, stop))

    def shard_ranges(self):
        """(start, stop) of each finished shard, in order."""
        folder = self.path(SHARDS)
        if not os.path.isdir(folder):
            return []
        ranges = []
        for name in os.listdir(folder):
            if name.endswith('.npz') and '-' in name:
                start, stop = name[:-4].split('-')
                ranges.append((int(start), int(stop)))
        return sorted(ranges)

    def write_shard(self, start, stop, embeddings, rows, failed_rows, errors):
        os.makedirs(self.path(SHARDS), exist_ok=True)

        def write(tmp):
            with open(tmp, 'wb') as f:
                np.savez(f, embeddings=embeddings.astype(np.float32), rows=rows,
                         failed_rows=np.asarray(failed_rows, dtype=np.int64),
                         errors=np.asarray(errors, dtype=str))
        write_atomically(self.shard_name(start, stop), write)

    def read_shards(self, first_row=0):
        """(embeddings, rows, failed rows, errors) of the shards from listing row
        ``first_row`` on, in listing order; embeddings is None when no image was embedded."""
        embeddings, rows, failed, errors = [], [], [], []
        for start, stop in self.shard_ranges():
            if start < first_row:
                continue
            with np.load(self.shard_name(start, stop)) as data:
                if len(data['rows']):
                    embeddings.append(data['embeddings'])
                    rows.append(data['rows'])
                failed += data['failed_rows'].tolist()
                errors += data['errors'].tolist()
        dims = sorted({e.shape[1] for e in embeddings})
        if len(dims) > 1:
            raise IndexFolderError('%s holds embeddings of sizes %s (shards of another model); '
                                   'delete %s and build again' % (self.folder, dims,
                                                                  self.path(SHARDS)))
        return (np.concatenate(embeddings) if embeddings else None,
                np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64),
                failed, errors)

    # --- the index and its tables --------------------------------------------------------
    def images(self):
        if not os.path.isfile(self.path(IMAGES)):
            return pd.DataFrame({'id': [], 'path': [], 'class': []}, dtype=str)
        table = _read_csv(self.path(IMAGES))
        table['id'] = table['id'].astype(np.int64)
        return table

    def write_images(self, table):
        _write_csv(self.path(IMAGES), table[['id', 'path', 'class']])

    def skipped(self):
        if not os.path.isfile(self.path(SKIPPED)):
            return pd.DataFrame({'path': [], 'class': [], 'error': []}, dtype=str)
        return _read_csv(self.path(SKIPPED))

    def write_skipped(self, table):
        _write_csv(self.path(SKIPPED), table[['path', 'class', 'error']])

    def read_index(self):
        import faiss
        if not os.path.isfile(self.path(FAISS)):
            raise IndexFolderError('%s has no %s: its build did not finish; run the build '
                                   'again to resume it' % (self.folder, FAISS))
        return faiss.read_index(self.path(FAISS))

    def write_index(self, index):
        import faiss
        write_atomically(self.path(FAISS), lambda tmp: faiss.write_index(index, tmp))
