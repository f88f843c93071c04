"""Building an index folder and adding images to it: list, embed (resumably), index.

The settings a build starts with (model, images, split, index type) are written first;
a rerun with the same settings resumes the embedding where the shards end, and one with
other settings is refused. ``rows_done`` in index.json counts the listing rows already
in the index or in skipped.csv: an interrupted ``add`` resumes from there.
"""
import hashlib
import logging
import os

import numpy as np
import pandas as pd

from ..export.model_folder import PARAMS, load_model, transform
from . import faiss_index
from .embedder import DEFAULT_SHARD_SIZE, embed_listing
from .images import list_images
from .store import IndexFolder, IndexFolderError

log = logging.getLogger(__name__)


def model_fingerprint(model):
    """SHA-256 of the model's parameters: an index answers only with the model whose
    embeddings it holds (another of the same size would mix two embedding spaces)."""
    digest = hashlib.sha256()
    with open(os.path.join(model, PARAMS), 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def check_same_model(model, settings, out):
    if model_fingerprint(model) != settings['model_sha256']:
        raise IndexFolderError('--model %s is not the model the index %s was built with (its '
                               'parameters differ); use %s or build a new index'
                               % (model, out, settings['model']))


def _warn_others(tree):
    if tree.other_files:
        log.warning('%d files without an image extension were not indexed, e.g. %s',
                    len(tree.other_files), tree.other_files[0])


def build(model, images, out, kind='flat', split=None, batch_size=64, num_workers=0,
          shard_size=DEFAULT_SHARD_SIZE, progress=True, **params):
    """Build the index folder ``out`` of the images under ``images``; returns its settings.
    ``params``: the index parameters given (None: default), see faiss_index."""
    net, description = load_model(model)
    store = IndexFolder(out)
    settings = {'model': os.path.abspath(model), 'images': os.path.abspath(images),
                'split': split, 'kind': kind, 'given_parameters': params,
                'embed_size': description['embed_size'], 'metric': description['metric'],
                'model_sha256': model_fingerprint(model)}
    if store.exists():
        previous = store.settings()
        if 'count' in previous:
            raise IndexFolderError('--out %s already holds a finished index; add images with '
                                   'python -m common.tools.index add, or choose a new folder'
                                   % out)
        changed = [k for k in settings if previous.get(k) != settings[k]]
        if changed:
            raise IndexFolderError('--out %s holds an unfinished build with another %s; '
                                   'delete it or choose a new folder' % (out, changed[0]))
        log.info('resuming the build in %s', out)
    elif os.path.isdir(out) and os.listdir(out):
        raise IndexFolderError('--out %s already holds files; choose a new folder' % out)
    tree = list_images(images, split)
    _warn_others(tree)
    listing = pd.DataFrame({'path': tree.paths, 'class': tree.classes})
    if store.exists() and not store.listing().equals(listing):
        raise IndexFolderError('the images under %s changed since the build in %s started; '
                               'delete it and build again' % (images, out))
    store.write_settings(settings)
    store.write_listing(listing)
    embed_listing(store, listing, net, transform(description), batch_size, num_workers,
                  shard_size, progress=progress)
    vectors, rows, skipped = _collect(store, listing, 0, description['embed_size'])
    if vectors is None:
        raise IndexFolderError('none of the %d images under %s could be read; see %s'
                               % (len(listing), images, store.path('skipped.csv')))
    chosen = faiss_index.parameters(kind, vectors.shape[1], len(vectors), **params)
    index = faiss_index.build(kind, faiss_index.prepare(vectors, description['metric']), chosen)
    store.write_index(index)
    table = listing.iloc[rows].reset_index(drop=True)
    table.insert(0, 'id', np.arange(len(table)))
    store.write_images(table)
    settings.update(parameters=chosen, count=len(table), rows_done=len(listing))
    store.write_settings(settings)
    return settings


def _collect(store, listing, first_row, embed_size):
    """(vectors, their listing rows, skipped table) of the shards from ``first_row``;
    the skipped images are written to skipped.csv and named in a warning."""
    vectors, rows, failed, errors = store.read_shards(first_row)
    if vectors is not None and vectors.shape[1] != embed_size:
        raise IndexFolderError('%s: its shards hold %d-d embeddings, the model gives %d-d; '
                               'delete %s and build again' % (store.folder, vectors.shape[1],
                                                              embed_size, store.path('shards')))
    skipped = pd.DataFrame({'path': listing['path'].iloc[failed].tolist(),
                            'class': listing['class'].iloc[failed].tolist(), 'error': errors})
    if len(skipped):
        table = pd.concat([store.skipped(), skipped], ignore_index=True) if first_row else \
            skipped
        store.write_skipped(table)
        log.warning('%d unreadable images were skipped and listed in %s, e.g. %s',
                    len(skipped), store.path('skipped.csv'), skipped['error'].iloc[0])
    return vectors, rows, skipped


def add(out, images, model=None, split=None, batch_size=64, num_workers=0,
        shard_size=DEFAULT_SHARD_SIZE, progress=True):
    """Append the images under ``images`` not yet listed to the index ``out``; returns the
    number of images added."""
    store = IndexFolder(out)
    settings = store.settings()
    if 'count' not in settings:
        raise IndexFolderError('%s: its build did not finish; run the build again to resume '
                               'it first' % out)
    net, description = load_model(model or settings['model'])
    index = store.read_index()
    if description['embed_size'] != index.d:
        raise IndexFolderError('--model %s gives %d-d embeddings but the index %s holds %d-d '
                               'ones; add with the model it was built with'
                               % (model, description['embed_size'], out, index.d))
    check_same_model(model or settings['model'], settings, out)
    listing = store.listing()
    first_row = settings['rows_done']
    tree = list_images(images, split)
    _warn_others(tree)
    known = set(listing['path'])
    new = [(p, c) for p, c in zip(tree.paths, tree.classes) if p not in known]
    if new:
        listing = pd.concat([listing, pd.DataFrame(new, columns=['path', 'class'])],
                            ignore_index=True)
        store.write_listing(listing)
    embed_listing(store, listing, net, transform(description), batch_size, num_workers,
                  shard_size, first_row, progress)
    vectors, rows, _ = _collect(store, listing, first_row, index.d)
    images_table = store.images()
    added = 0 if vectors is None else len(vectors)
    if added:
        index.add(faiss_index.prepare(vectors, settings['metric']))
        table = listing.iloc[rows].reset_index(drop=True)
        table.insert(0, 'id', np.arange(len(images_table), len(images_table) + added))
        images_table = pd.concat([images_table, table], ignore_index=True)
        store.write_index(index)
        store.write_images(images_table)
    settings.update(count=len(images_table), rows_done=len(listing))
    store.write_settings(settings)
    return added


def load(out):
    """(settings, faiss index with its search parameters, images table) of a finished
    index folder."""
    store = IndexFolder(out)
    settings = store.settings()
    if 'count' not in settings:
        raise IndexFolderError('%s: its build did not finish; run the build again to resume '
                               'it' % out)
    index = store.read_index()
    faiss_index.set_search_parameters(index, settings['kind'], settings['parameters'])
    return settings, index, store.images()


def indexed_vectors(out, settings, images_table):
    """The embeddings of the indexed images, in id order (from the shards)."""
    store = IndexFolder(out)
    listing = store.listing()
    vectors, rows, _, _ = store.read_shards(0)
    position = {p: i for i, p in enumerate(listing['path'].iloc[rows])}
    return vectors[[position[p] for p in images_table['path']]]
