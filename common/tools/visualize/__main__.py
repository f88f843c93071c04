"""Command line: draw a retrieval grid or a t-SNE map from a saved embeddings file.

    python -m common.tools.visualize grid EMBEDDINGS.npz --out results/x_grid.png [--queries 8]
    python -m common.tools.visualize tsne EMBEDDINGS.npz --out results/x_tsne [--perplexity 30]

Without ``--out`` the files go beside the embeddings file (``<stem>_grid.png``,
``<stem>_tsne.png``/``.pdf``).
"""
import argparse
import os
import sys

from ...evaluation.embeddings_file import EmbeddingsFileError, load_embeddings
from .embedding_map import METHODS, embedding_map, map_files
from .retrieval_grid import grid_files, retrieval_grid


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m common.tools.visualize',
        description='Visualise the test embeddings saved by a training run '
                    '(--save-embeddings).')
    commands = parser.add_subparsers(dest='command', required=True)

    def command(name, help, out_help, seed_help):
        sub = commands.add_parser(name, help=help)
        sub.add_argument('embeddings', help='the .npz embeddings file')
        sub.add_argument('--out', help=out_help)
        sub.add_argument('--seed', type=int, default=0, help=seed_help)
        return sub

    grid = command('grid', 'query images and their k nearest neighbours',
                   'output .png (a titled .pdf is written beside it); default: <embeddings '
                   'stem>_grid.png', 'seed for choosing the queries')
    grid.add_argument('--queries', type=int, default=8, help='number of random queries')
    grid.add_argument('--k', type=int, default=5, help='neighbours per query')
    grid.add_argument('--query-indices', type=int, nargs='+',
                      help='these queries (row indices in the file) instead of random ones')
    grid.add_argument('--thumb', type=int, default=96, help='thumbnail size in pixels')
    grid.add_argument('--path-map', nargs=2, metavar=('OLD', 'NEW'),
                      help='read images whose path starts with OLD from NEW instead')

    tsne = command('tsne', 'a 2-D t-SNE map coloured by class',
                   'output name; .png and .pdf are written (default: <embeddings stem>_tsne)',
                   'seed for t-SNE and the subset')
    tsne.add_argument('--perplexity', type=float, default=30.0, help='t-SNE perplexity')
    tsne.add_argument('--max-points', type=int, default=5000,
                      help='draw a random subset of this many embeddings when there are more')
    tsne.add_argument('--method', choices=METHODS, default='tsne',
                      help='tsne, or pca for a quick linear look')
    return parser


def check_args(parser, args):
    """One-line errors for option values that cannot work, before any loading."""
    if not os.path.isfile(args.embeddings):
        parser.error('embeddings file %s not found (train with --save-embeddings to write '
                     'one)' % args.embeddings)
    stem = os.path.splitext(args.embeddings)[0]
    if args.command == 'grid':
        args.out = args.out or stem + '_grid.png'
        for option, value, low in (('--queries', args.queries, 1), ('--k', args.k, 1),
                                   ('--thumb', args.thumb, 8)):
            if value < low:
                parser.error('%s must be at least %d, not %d' % (option, low, value))
        check_out = grid_files
    else:
        args.out = args.out or stem + '_tsne'
        if args.perplexity <= 0:
            parser.error('--perplexity must be positive, not %g' % args.perplexity)
        if args.max_points < 3:
            parser.error('--max-points must be at least 3, not %d' % args.max_points)
        check_out = map_files
    try:
        check_out(args.out)
    except ValueError as e:
        parser.error('--out: %s' % e)


def run(args):
    """Draw what ``args`` asks for; returns the files written."""
    data = load_embeddings(args.embeddings)
    if args.command == 'grid':
        _, correct = retrieval_grid(data, args.out, queries=args.queries, k=args.k,
                                    seed=args.seed, query_indices=args.query_indices,
                                    thumb=args.thumb, path_map=args.path_map)
        print('%d queries x %d neighbours, %.1f%% of the same class'
              % (correct.shape[0], correct.shape[1], 100 * correct.mean()))
        return grid_files(args.out)
    _, files = embedding_map(data, args.out, perplexity=args.perplexity, seed=args.seed,
                             max_points=args.max_points, method=args.method)
    return files


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    try:
        files = run(args)
    except EmbeddingsFileError as e:
        parser.error(str(e))
    except (ValueError, OSError) as e:  # e.g. k too large, an image that moved
        sys.exit('%s: error: %s' % (parser.prog, e))
    for path in files:
        print('wrote %s' % path)
    return files


if __name__ == '__main__':
    main()
