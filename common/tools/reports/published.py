"""Published figures, kept as data beside our own runs; none was produced by this toolkit.

The DML playground's numbers were read off its result plots: the main tables
are 10-run means of the test metrics with model selection on the test set and
64-d embeddings; the embedding-size and batch-size studies are single curves on
CUB. The Embedding Expansion paper's table (GoogLeNet, 512-d) gives HPHN triplet
with and without the expansion; its number of runs is not stated. Every row
carries a ``source`` string that says where it comes from.
"""
import pandas as pd

PUBLISHED_LABEL = 'published'
PUBLISHED_RUNS = 10  # the playground's tables average 10 runs
PUBLISHED_EMBED_DIM = 64

_CANONICAL_DATASETS = {'cub': 'CUB', 'cub200': 'CUB', 'cars196': 'Cars196', 'cars': 'Cars196',
                       'sop': 'SOP', 'inshop': 'InShop', 'in-shop': 'InShop'}

# The playground's method names (as in its legends) -> (our script, variant).
METHOD_SCRIPTS = {
    'Triplet Semihard': ('triplet_semihard', ''),
    'Lifted Struct': ('liftedstruct', ''),
    'Npairs': ('npairs', ''), 'N-Pairs': ('npairs', ''), 'NPairs': ('npairs', ''),
    'Struct Clust': ('clusterloss', ''),
    'Margin Loss': ('margin', ''),
    'Angular Loss': ('angular', ''), 'Angular': ('angular', ''),
    'Prototype Loss': ('prototype', ''),
    'Proxy-NCA': ('proxy', 'nca'), 'Proxy-nca': ('proxy', 'nca'),
    'Proxy-Triplet': ('proxy', 'triplet'), 'Proxy-triplet': ('proxy', 'triplet'),
    'Proxy-softmax': ('normproxy', ''), 'Proxy-softmax (binarized)': ('normproxy', ''),
    'Ranked List Loss': ('rankedlistloss', ''),
    'DREML': ('dreml', ''),
    'Discriminative': ('discriminative', ''),
    'HPHN triplet': ('hphn_ee', 'no expansion'),
    'EE + HPHN triplet': ('hphn_ee', ''),
}

# (dataset, backbone, plot file) -> [(method, R@1, NMI)], 10-run means, test-set selection.
_TABLES = {
    ('CUB', 'inception-bn', 'CUB_inception_plot.png'): [
        ('Triplet Semihard', 50.87, 61.10), ('Lifted Struct', 51.70, 60.93),
        ('Npairs', 53.68, 63.61), ('Struct Clust', 56.41, 64.04), ('Margin Loss', 51.28, 61.09),
        ('Angular Loss', 53.17, 62.81), ('Prototype Loss', 47.84, 60.65),
        ('Proxy-NCA', 54.60, 63.16), ('Proxy-Triplet', 50.46, 59.64),
        ('Proxy-softmax', 58.27, 63.94), ('Ranked List Loss', 51.40, 61.79),
        ('DREML', 55.42, 60.99), ('Discriminative', 51.23, 59.46)],
    ('CUB', 'resnet50_v2', 'CUB_resnet50_plot.png'): [
        ('Triplet Semihard', 49.04, 59.75), ('Lifted Struct', 50.03, 60.51),
        ('Npairs', 56.14, 65.54), ('Proxy-NCA', 58.07, 64.09), ('Proxy-Triplet', 53.06, 62.89),
        ('Margin Loss', 59.55, 67.31), ('Prototype Loss', 54.39, 64.84),
        ('Angular Loss', 59.91, 66.27), ('Proxy-softmax', 63.50, 69.50),
        ('Ranked List Loss', 50.15, 58.48), ('DREML', 59.03, 63.22)],
    ('Cars196', 'inception-bn', 'CARS196_inception_plot.png'): [
        ('Triplet Semihard', 60.94, 57.55), ('Lifted Struct', 65.29, 61.00),
        ('Npairs', 71.18, 63.68), ('Struct Clust', 73.26, 64.84), ('Proxy-NCA', 71.90, 62.45),
        ('Proxy-Triplet', 65.34, 60.85), ('Margin Loss', 70.38, 61.32),
        ('Prototype Loss', 59.49, 58.44), ('Angular Loss', 68.86, 59.75),
        ('Proxy-softmax', 81.70, 61.34), ('Ranked List Loss', 69.83, 62.28),
        ('DREML', 75.93, 61.23)],
    ('SOP', 'inception-bn', 'SOP_inception_plot.png'): [
        ('Npairs', 67.70, 67.31), ('Struct Clust', 64.27, 86.75), ('Margin Loss', 67.63, 87.68),
        ('Angular Loss', 68.97, 87.55), ('Prototype Loss', 61.82, 85.76),
        ('Proxy-NCA', 73.56, 88.93), ('Proxy-Triplet', 61.41, 86.91),
        ('Proxy-softmax', 73.80, 89.10), ('DREML', 53.70, 65.76)],
}

# The Embedding Expansion paper's table (Ko & Gu, CVPR 2020; figures/results.png in its
# repository), its "Triplet†" (HPHN) rows: dataset -> [(method, R@1, NMI)]. GoogLeNet,
# 512-d, the best test Recall@1 of a run (its code checkpoints on it), runs not stated.
EE_PAPER = 'Embedding Expansion paper (Ko & Gu 2020), results table'
EE_MODEL, EE_EMBED_DIM = 'googlenet', 512
_EE_TABLE = {
    'CUB': [('HPHN triplet', 48.3, 58.1), ('EE + HPHN triplet', 51.7, 60.5)],
    'Cars196': [('HPHN triplet', 60.3, 57.4), ('EE + HPHN triplet', 71.6, 63.1)],
    'SOP': [('HPHN triplet', 75.5, 91.4), ('EE + HPHN triplet', 77.2, 91.5)],
}

# Studies on CUB, R@1 only: (x column, plot file, x values, what the curves are, {method: R@1s}).
_STUDIES = {
    'embed_dim': ('embedding_size.png', (64, 128, 256, 512, 1024, 2048),
                  'single runs, read off the plot by pixel measurement, +-0.1', {
                      'Triplet Semihard': (49.8, 53.8, 57.8, 57.7, 57.9, 57.8),
                      'Lifted Struct': (51.8, 55.35, 59.0, 60.6, 62.0, 62.6),
                      'N-Pairs': (53.7, 58.1, 60.1, 60.4, 58.9, 60.35),
                      'Margin Loss': (50.6, 55.2, 56.0, 52.55, 51.3, 52.4),
                      'Angular Loss': (53.2, 53.85, 58.7, 58.6, 58.1, 57.9),
                      'Prototype Loss': (48.7, 52.0, 54.5, 54.6, 55.0, 53.5),
                      'Proxy-Triplet': (49.0, 52.6, 54.95, 54.95, 55.4, 56.1),
                      'Proxy-NCA': (54.2, 58.2, 61.3, 62.9, 63.7, 63.8)}),
    'batch_size': ('fig_batch_size.png', (2, 8, 32, 64, 128),
                   'read off the plot by pixel extraction, +-0.3', {
                       'Proxy-nca': (33.3, 39.7, 47.9, 48.4, 50.9),
                       'Proxy-triplet': (8.2, 32.4, 42.6, 46.7, 49.9),
                       'Proxy-softmax (binarized)': (47.7, 58.0, 58.3, 57.0, 54.7),
                       'Margin Loss': (15.8, 41.5, 51.8, 51.6, 51.6),
                       'NPairs': (12.8, 31.8, 45.7, 49.2, 53.7),
                       'Angular': (15.2, 33.9, 43.6, 48.7, 53.3)}),
}


def normalise_dataset(name):
    """'cub' -> 'CUB', 'CARS196'/'cars' -> 'Cars196', 'sop' -> 'SOP', 'inshop' -> 'InShop'."""
    if name is None:
        return None
    return _CANONICAL_DATASETS.get(str(name).strip().lower(), str(name))


def source_label(plot_file, detail='test-set selection'):
    return '%s: DML playground plot %s (%s)' % (PUBLISHED_LABEL, plot_file, detail)


def source_note(source):
    """What the published figures of ``source`` are, for a table's note."""
    if EE_PAPER in source:
        return 'the %s (number of runs not stated; no std given)' % EE_PAPER
    return "the DML playground's %d-run means read off its plots (test-set selection; " \
           "no std given)" % PUBLISHED_RUNS


def is_published(source):
    return str(source).startswith(PUBLISHED_LABEL)


def published_results():
    """The playground's main tables and the Embedding Expansion paper's HPHN rows: one row
    per (dataset, backbone, method), R@1 and NMI (``n`` None where the runs are unknown)."""
    tables = [(dataset, model, PUBLISHED_EMBED_DIM, PUBLISHED_RUNS, source_label(plot_file),
               entries) for (dataset, model, plot_file), entries in _TABLES.items()]
    tables += [(dataset, EE_MODEL, EE_EMBED_DIM, None, '%s: %s' % (PUBLISHED_LABEL, EE_PAPER),
                entries) for dataset, entries in _EE_TABLE.items()]
    rows = []
    for dataset, model, embed_dim, runs, source, entries in tables:
        for method, recall1, nmi in entries:
            script, variant = METHOD_SCRIPTS[method]
            rows.append({'dataset': dataset, 'model': model, 'embed_dim': embed_dim,
                         'script': script, 'variant': variant, 'method': method,
                         'selection': 'test', 'n': runs, 'R@1': recall1, 'NMI': nmi,
                         'source': source})
    return pd.DataFrame(rows)


def published_study(x):
    """A published CUB study as rows (script, variant, method, <x>, R@1, source).

    ``x`` is 'embed_dim' or 'batch_size'."""
    if x not in _STUDIES:
        raise ValueError('published study %r: unknown; choose one of %s' % (x, ', '.join(_STUDIES)))
    plot_file, xs, detail, curves = _STUDIES[x]
    rows = []
    for method, values in curves.items():
        script, variant = METHOD_SCRIPTS[method]
        for x_value, recall1 in zip(xs, values):
            rows.append({'dataset': 'CUB', 'script': script, 'variant': variant,
                         'method': method, x: x_value, 'R@1': recall1,
                         'source': source_label(plot_file, detail)})
    return pd.DataFrame(rows)
