"""How far Embedding Expansion's hardest negative is from LoOp's, on real embeddings.

    python -m common.tools.loop_gap results/x_embeddings.npz --tuples 4000 --out results/loop_gap/x

takes an embeddings file (``--save-embeddings``), L2-normalises its rows, and draws
tuples as a training batch would hold them: two images of one class (the arc of a
positive pair) and two images of another class (a negative pair's arc). For each it
compares LoOp's exact distance between the two arcs, d*
(:func:`common.losses.loop.optimal_points`), with Embedding Expansion's discrete
minimum: the smallest distance between the points normalize((k x2 + (n + 1 - k) x1) /
(n + 1)), k = 0 .. n + 1, of both arcs (its ``n_inner_pts`` = n; n = 0 is the end
points alone). Since those points lie on the arcs, the discrete minimum is >= d* and
tends to it as n grows. Prints a table (and writes ``<out>.json`` and ``<out>.md``).
"""
import argparse
import json
import os
import sys

import mxnet as mx
import numpy as np

from ..evaluation.embeddings_file import EmbeddingsFileError, load_embeddings
from ..losses.loop import optimal_points

INNER_POINTS = (0, 1, 2, 4, 8, 32)


def draw_tuples(labels, count, rng):
    """(count, 4) row indices: a, b of one class, c, d of another (a != b, c != d)."""
    classes = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    classes = [rows for rows in classes if len(rows) >= 2]
    if len(classes) < 2:
        raise ValueError('need two classes with at least two images each')
    picks = np.empty((count, 4), dtype=np.int64)
    for t in range(count):
        first, second = rng.choice(len(classes), 2, replace=False)
        picks[t, :2] = rng.choice(classes[first], 2, replace=False)
        picks[t, 2:] = rng.choice(classes[second], 2, replace=False)
    return picks


def arc_points(x1, x2, inner):
    """(T, inner + 2, d): the end points and ``inner`` normalised interpolations."""
    k = np.arange(inner + 2, dtype=np.float64).reshape(1, -1, 1) / (inner + 1)
    points = (1 - k) * x1[:, None, :] + k * x2[:, None, :]
    return points / np.linalg.norm(points, axis=2, keepdims=True)


def discrete_minimum(x1, x2, y1, y2, inner):
    """(T,): the smallest distance between the sampled points of the two arcs."""
    p, q = arc_points(x1, x2, inner), arc_points(y1, y2, inner)
    squared = (np.square(p).sum(2)[:, :, None] + np.square(q).sum(2)[:, None, :]
               - 2 * np.einsum('tid,tjd->tij', p, q))
    return np.sqrt(np.maximum(squared.reshape(len(p), -1).min(axis=1), 0))


def measure(embeddings, labels, tuples, seed=0, inner_points=INNER_POINTS):
    """{'tuples', 'dim', 'd_star': mean, 'rows': [{inner, mean, mean_gap, relative_gap,
    share_above}]}: per EE setting the mean discrete minimum, its mean gap to d*, the mean
    gap relative to d*, and the share of tuples where it exceeds d* by more than 1e-6."""
    x = np.asarray(embeddings, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    picks = draw_tuples(np.asarray(labels), tuples, np.random.RandomState(seed))
    x1, x2, y1, y2 = (x[picks[:, i]] for i in range(4))
    _, _, d_star = optimal_points(*(mx.nd.array(v, dtype='float64') for v in (x1, x2, y1, y2)))
    d_star = d_star.asnumpy()
    rows = []
    for inner in inner_points:
        found = discrete_minimum(x1, x2, y1, y2, inner)
        gap = found - d_star
        rows.append({'inner': inner, 'mean': float(found.mean()), 'mean_gap': float(gap.mean()),
                     'relative_gap': float((gap / np.maximum(d_star, 1e-12)).mean()),
                     'share_above': float((gap > 1e-6).mean())})
    return {'tuples': int(tuples), 'dim': int(x.shape[1]), 'd_star': float(d_star.mean()),
            'rows': rows}


def to_markdown(result, source):
    lines = ['%d tuples of %s (%d-d, rows L2-normalised); LoOp\'s mean d* = %.5f.' % (
        result['tuples'], source, result['dim'], result['d_star']), '',
        '| EE inner points n | mean discrete minimum | mean gap to d* | mean gap / d* | '
        'tuples above d* |', '|---|---|---|---|---|']
    for row in result['rows']:
        lines.append('| %d | %.5f | %.5f | %.2f %% | %.1f %% |' % (
            row['inner'], row['mean'], row['mean_gap'], 100 * row['relative_gap'],
            100 * row['share_above']))
    return '\n'.join(lines) + '\n'


def build_parser():
    p = argparse.ArgumentParser(prog='python -m common.tools.loop_gap',
                                description=__doc__.split('\n')[0])
    p.add_argument('embeddings', help='an embeddings file written by --save-embeddings')
    p.add_argument('--tuples', type=int, default=4000, help='tuples to draw')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', help='writes <out>.json and <out>.md')
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tuples < 1:
        parser.error('--tuples must be >= 1')
    try:
        data = load_embeddings(args.embeddings)
        result = measure(data.embeddings, data.labels, args.tuples, args.seed)
    except (EmbeddingsFileError, ValueError) as e:
        parser.error('%s: %s' % (args.embeddings, e) if isinstance(e, ValueError) else str(e))
    text = to_markdown(result, os.path.basename(args.embeddings))
    sys.stdout.write(text)
    if args.out:
        os.makedirs(os.path.dirname(args.out) or '.', exist_ok=True)
        with open(args.out + '.json', 'w') as f:
            json.dump(dict(result, source=args.embeddings, command=' '.join(
                ['python -m common.tools.loop_gap'] + list(argv or sys.argv[1:]))), f, indent=1)
        with open(args.out + '.md', 'w') as f:
            f.write(text)
    return result


if __name__ == '__main__':
    main()
