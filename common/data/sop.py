"""Stanford Online Products with the official split files.

``Ebay_train.txt``: 59,551 images of 11,318 products; ``Ebay_test.txt``:
60,502 images of 11,316 products. The playground instead split products by
the listing order of the category folders, which depends on the file system
and leaves train and test almost super-category-disjoint; that is not the
published protocol and is not reproduced.
"""
import os

from .split import RetrievalDataset, build_split, read_table, require_file

NAME = 'SOP'
DOWNLOAD = ('download Stanford_Online_Products.zip (Song et al., CVPR 2016) and pass the '
            'extracted Stanford_Online_Products folder as --data-path')
EXPECTED = {'train': (59551, 11318), 'test': (60502, 11316)}
RECALL_KS = (1, 10, 100, 1000)


def load_sop(root, expected=EXPECTED):
    splits = {}
    for name, filename in (('train', 'Ebay_train.txt'), ('test', 'Ebay_test.txt')):
        path = require_file(NAME, os.path.join(root, filename), DOWNLOAD)
        # Columns: image_id class_id super_class_id path, after one header line.
        rows = read_table(NAME, path, 4, skip=1)
        splits[name] = build_split(
            NAME, name,
            paths=[os.path.join(root, r[3]) for r in rows],
            class_keys=[int(r[1]) for r in rows],
            expected=expected[name],
            hint='check %s (%s)' % (path, DOWNLOAD))
    return RetrievalDataset(NAME, splits['train'], RECALL_KS, test=splits['test'])
