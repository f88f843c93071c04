"""Command line: image search with an exported model (python -m common.tools.export).

    python -m common.tools.index build --model DIR --images ROOT --out INDEX
        [--split test] [--index flat|ivfpq|hnsw] [--nlist N --m M --nbits B --nprobe P
        --k-factor F] [--hnsw-m M --ef-construction E --ef-search S]
        [--batch-size 64] [--num-workers 2] [--shard-size 10000]
    python -m common.tools.index add INDEX --images ROOT [--model DIR]
    python -m common.tools.index query INDEX IMAGE... [--k 10] [--json] [--grid out.png]
    python -m common.tools.index evaluate INDEX [--exact-queries 10000]

``build`` embeds every image under ROOT (the class is its first folder below ROOT) in
shards that a rerun resumes, skips unreadable images into INDEX/skipped.csv with a
warning, and writes a faiss index with a table of the paths (INDEX/images.csv). The
default index is exact (flat); IVF-PQ is the choice above about a million images, HNSW for
the fastest queries (see common/tools/index/faiss_index.py and bench/README.md).
"""
import argparse
import json
import logging
import os
import sys

from ...evaluation import DEFAULT_RECALL_KS
from ..export.model_folder import ModelFolderError, load_model, transform
from ..visualize.retrieval_grid import (
    OTHER_CLASS,
    QUERY,
    SAME_CLASS,
    UNKNOWN,
    grid_files,
    path_grid,
)
from . import builder
from .faiss_index import IndexParameterError
from .images import ImageTreeError
from .recall import class_labels, recall_against_exact, recall_through_index
from .search import QueryError, embed_images, search
from .store import IndexFolderError

ERRORS = (IndexFolderError, IndexParameterError, ImageTreeError, ModelFolderError, QueryError,
          ValueError, OSError)


def build_parser():
    parser = argparse.ArgumentParser(prog='python -m common.tools.index',
                                     description='Index a collection of images with an '
                                                 'exported model, and search it.')
    commands = parser.add_subparsers(dest='command', required=True)

    def embedding_options(sub):
        sub.add_argument('--split', choices=('train', 'test'),
                         help='only the classes of this half of the sorted class folders, as '
                              '--dataset folder splits them (e.g. the glyph test images)')
        sub.add_argument('--batch-size', type=int, default=64, help='images a forward pass')
        sub.add_argument('--num-workers', type=int, default=2,
                         help='processes decoding images (0: in this one)')
        sub.add_argument('--shard-size', type=int, default=10000,
                         help='images a shard; an interrupted build resumes at a shard')
        sub.add_argument('--no-progress', action='store_true', help='no progress bar')

    b = commands.add_parser('build', help='embed a folder of images into a new index')
    b.add_argument('--model', required=True, help='the exported model folder')
    b.add_argument('--images', required=True, help='the root of the image tree')
    b.add_argument('--out', required=True, help='the new index folder')
    b.add_argument('--index', choices=('flat', 'ivfpq', 'hnsw'), default='flat',
                   help='flat: exact (default); ivfpq: compressed, above ~1M images; hnsw: '
                        'graph, fastest queries')
    g = b.add_argument_group('ivfpq (defaults: nlist ~4 sqrt(N), m = d/4, nbits 8, nprobe 2 % '
                             'of nlist and at least 16, k-factor 4)')
    g.add_argument('--nlist', type=int, help='k-means cells')
    g.add_argument('--m', type=int, help='product-quantiser codes a vector (divides d)')
    g.add_argument('--nbits', type=int, help='bits a code')
    g.add_argument('--nprobe', type=int, help='cells a query visits')
    g.add_argument('--k-factor', type=int, help='re-ranked candidates, as a multiple of k')
    h = b.add_argument_group('hnsw (defaults: M 32, ef-construction 40, ef-search 64)')
    h.add_argument('--hnsw-m', type=int, help='links a node')
    h.add_argument('--ef-construction', type=int, help='candidates while building')
    h.add_argument('--ef-search', type=int, help='candidates while searching')
    embedding_options(b)

    a = commands.add_parser('add', help='append the new images of a folder to an index')
    a.add_argument('index', help='the index folder')
    a.add_argument('--images', required=True, help='the root of the image tree')
    a.add_argument('--model', help='the exported model (default: the index\'s)')
    embedding_options(a)

    q = commands.add_parser('query', help='the nearest indexed images of query images')
    q.add_argument('index', help='the index folder')
    q.add_argument('images', nargs='+', help='query image files')
    q.add_argument('--k', type=int, default=10, help='neighbours a query')
    q.add_argument('--json', action='store_true', help='print JSON instead of a table')
    q.add_argument('--grid', help='also draw the queries and neighbours into this .png')
    q.add_argument('--thumb', type=int, default=96, help='grid thumbnail size in pixels')

    e = commands.add_parser('evaluate', help='Recall@K through the index, leave-one-out by '
                                             'class folder')
    e.add_argument('index', help='the index folder')
    e.add_argument('--ks', type=int, nargs='+', default=list(DEFAULT_RECALL_KS),
                   help='the K of Recall@K')
    e.add_argument('--exact-queries', type=int, default=10000,
                   help='approximate indexes: this many random images measure recall@10 '
                        'against exact search')
    return parser


def check_args(parser, args):
    for name in ('k', 'batch_size', 'num_workers', 'shard_size', 'thumb', 'exact_queries'):
        value = getattr(args, name, None)
        low = 0 if name == 'num_workers' else 1
        if value is not None and value < low:
            parser.error('--%s must be at least %d, not %d' % (name.replace('_', '-'), low,
                                                               value))
    if getattr(args, 'grid', None):
        try:
            grid_files(args.grid)
        except ValueError as e:
            parser.error('--grid: %s' % e)


def do_build(args):
    settings = builder.build(
        args.model, args.images, args.out, args.index, args.split, args.batch_size,
        args.num_workers, args.shard_size, not args.no_progress, nlist=args.nlist, m=args.m,
        nbits=args.nbits, nprobe=args.nprobe, k_factor=args.k_factor, M=args.hnsw_m,
        efConstruction=args.ef_construction, efSearch=args.ef_search)
    print('indexed %d images (%d-d, %s) in %s: %s %s' % (
        settings['count'], settings['embed_size'], settings['metric'], args.out,
        settings['kind'], json.dumps(settings['parameters'])))


def do_add(args):
    added = builder.add(args.index, args.images, args.model, args.split, args.batch_size,
                        args.num_workers, args.shard_size, not args.no_progress)
    settings, _, _ = builder.load(args.index)
    print('added %d images to %s (%d in all)' % (added, args.index, settings['count']))


def answers(args):
    """One dict a query: its path and neighbours (rank, distance, path, class)."""
    settings, index, table = builder.load(args.index)
    net, description = load_model(settings['model'])
    builder.check_same_model(settings['model'], settings, args.index)
    for path in args.images:
        if not os.path.isfile(path):
            raise QueryError('query %s: no such file' % path)
    vectors = embed_images(net, transform(description), args.images)
    ids, distances = search(index, vectors, args.k, settings['metric'])
    paths, classes = table['path'].tolist(), table['class'].tolist()
    settings = dict(settings, classes=sorted(set(classes) - {''}))
    return settings, [{'query': q, 'neighbours': [
        {'rank': r + 1, 'distance': float(d), 'path': paths[i], 'class': classes[i]}
        for r, (i, d) in enumerate(zip(row, dist)) if i >= 0]}
        for q, row, dist in zip(args.images, ids, distances)]


def do_query(args):
    settings, results = answers(args)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for result in results:
            print('%s (%s distance)' % (result['query'], settings['metric']))
            for n in result['neighbours']:
                print('%4d  %.4f  %s' % (n['rank'], n['distance'], n['path']))
    if args.grid:
        draw(args, settings, results)


def draw(args, settings, results):
    """The retrieval grid of the answers: a neighbour's border is green when its class
    folder is the query's, red when not, grey when the query lies in no class folder the
    index knows."""
    classes = set(settings['classes'])
    rows, colors = [], []
    for result in results:
        own = os.path.basename(os.path.dirname(os.path.abspath(result['query'])))
        known = own in classes
        rows.append([result['query']] + [n['path'] for n in result['neighbours']])
        colors.append([QUERY] + [(SAME_CLASS if n['class'] == own else OTHER_CLASS)
                                 if known else UNKNOWN for n in result['neighbours']])
    width = min(len(r) for r in rows)
    path_grid([r[:width] for r in rows], [c[:width] for c in colors], args.grid, args.thumb,
              'query | top-{k} indexed images\n(green: same class folder, red: other, '
              'grey: query class unknown)')
    print('wrote %s and %s' % grid_files(args.grid))


def do_evaluate(args):
    settings, index, table = builder.load(args.index)
    vectors = builder.indexed_vectors(args.index, settings, table)
    labels = class_labels(table['class'].tolist())
    metrics = recall_through_index(index, vectors, labels, settings['metric'], args.ks)
    print('%s index of %d images (%d labelled): %s' % (
        settings['kind'], len(table), int((labels >= 0).sum()),
        ', '.join('%s=%.2f' % kv for kv in metrics.items())))
    if settings['kind'] != 'flat':
        metrics['recall@10_vs_exact'] = recall_against_exact(
            index, vectors, settings['metric'], 10, args.exact_queries)
        print('recall@10 against exact search: %.4f' % metrics['recall@10_vs_exact'])
    return metrics


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    logging.basicConfig(format='%(levelname)s: %(message)s', level=logging.INFO)
    try:
        return {'build': do_build, 'add': do_add, 'query': do_query,
                'evaluate': do_evaluate}[args.command](args)
    except ERRORS as e:
        sys.exit('%s %s: error: %s' % (parser.prog, args.command, e))


if __name__ == '__main__':
    main()
