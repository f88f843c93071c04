"""Datasets (standard class-disjoint DML splits), transforms and samplers."""
from .cars196 import load_cars196
from .cub import load_cub
from .folder import load_folder
from .fonts import load_glyphs, load_kanji, load_latin
from .inshop import load_inshop
from .sop import load_sop
from .split import DatasetError, ImageSplit, RetrievalDataset

__all__ = ['DATASETS', 'DatasetError', 'ImageSplit', 'RetrievalDataset', 'canonical_name',
           'get_dataset']

DATASETS = {
    'CUB': load_cub,
    'CARS196': load_cars196,
    'SOP': load_sop,
    'InShop': load_inshop,
    'folder': load_folder,
    'glyphs': load_glyphs,
    'latin': load_latin,
    'kanji': load_kanji,
}
# The playground's names for the same layouts.
ALIASES = {'minicub': 'folder', 'cars': 'CARS196', 'inshop': 'InShop', 'in-shop': 'InShop'}


def canonical_name(name):
    lookup = {k.lower(): k for k in DATASETS}
    lookup.update(ALIASES)
    try:
        return lookup[name.lower()]
    except KeyError:
        raise DatasetError('--dataset %s: unknown; choose one of %s'
                           % (name, ', '.join(DATASETS)))


# Datasets rendered into a cache folder: --data-path is optional for them.
RENDERED = ('glyphs', 'latin', 'kanji')
# Datasets whose class list is fixed and ordered, so that the first N classes form a subset.
SUBSETTABLE = ('latin', 'kanji')


def get_dataset(name, root=None, use_crops=False, split_file=None, num_classes=None):
    """Load a dataset by name; ``root`` is its folder (rendered datasets default to a cache).

    ``num_classes`` keeps the first N classes of the font datasets (latin, kanji).
    """
    name = canonical_name(name)
    if root is None and name not in RENDERED:
        raise DatasetError('--dataset %s needs --data-path pointing at the dataset folder' % name)
    if split_file and name != 'folder':
        raise DatasetError('--folder-split applies to --dataset folder only')
    if num_classes is not None and name not in SUBSETTABLE:
        raise DatasetError('--num-classes applies to --dataset %s only, not %s'
                           % (' and '.join(SUBSETTABLE), name))
    if name == 'folder':
        dataset = load_folder(root, split_file=split_file)
    elif name in SUBSETTABLE:
        dataset = DATASETS[name](root, num_classes=num_classes)
    else:
        dataset = DATASETS[name](root)
    if use_crops and not dataset.has_boxes:
        raise DatasetError('--use-crops: dataset %s has no bounding boxes%s' % (
            name, ' in this layout (use the official cars_annos.mat layout)'
            if name == 'CARS196' else ''))
    return dataset
