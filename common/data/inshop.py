"""DeepFashion In-Shop Clothes Retrieval with its official partition.

``list_eval_partition.txt``: train 25,882 images of 3,997 items; query
14,218 and gallery 12,612 images of the same 3,985 items. Query and gallery
share one label space so that a query's item matches its gallery images.
"""
import os

from .split import DatasetError, RetrievalDataset, build_split, read_table, require_file

NAME = 'InShop'
DOWNLOAD = ('download the In-shop Clothes Retrieval Benchmark (img.zip and '
            'Eval/list_eval_partition.txt) and pass the folder holding img/ and '
            'list_eval_partition.txt as --data-path')
EXPECTED = {'train': (25882, 3997), 'query': (14218, 3985), 'gallery': (12612, 3985)}
RECALL_KS = (1, 10, 20, 30, 40, 50)


def _partition_file(root):
    for candidate in ('list_eval_partition.txt', os.path.join('Eval', 'list_eval_partition.txt')):
        path = os.path.join(root, candidate)
        if os.path.isfile(path):
            return path
    return require_file(NAME, os.path.join(root, 'list_eval_partition.txt'), DOWNLOAD)


def load_inshop(root, expected=EXPECTED):
    path = _partition_file(root)
    # A count line and a header line precede rows of: image_name item_id evaluation_status.
    rows = read_table(NAME, path, 3, skip=2)
    by_status = {'train': [], 'query': [], 'gallery': []}
    for r in rows:
        if r[2] not in by_status:
            raise DatasetError('InShop: %s has unknown evaluation_status %r (expected train, '
                               'query or gallery)' % (path, r[2]))
        by_status[r[2]].append(r)
    test_items = sorted({r[1] for r in by_status['query'] + by_status['gallery']})
    splits = {}
    for name, part in by_status.items():
        splits[name] = build_split(
            NAME, name,
            paths=[os.path.join(root, r[0]) for r in part],
            class_keys=[r[1] for r in part],
            expected=expected[name],
            key_order=None if name == 'train' else test_items,
            hint='check %s (%s)' % (path, DOWNLOAD))
    return RetrievalDataset(NAME, splits['train'], RECALL_KS,
                            query=splits['query'], gallery=splits['gallery'])
