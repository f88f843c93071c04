"""Index build and query speed, memory per vector and recall against exact search, for the
three index types of ``python -m common.tools.index`` at their default parameters.

Synthetic embeddings shaped like a trained model's: N L2-normalised vectors around N/50
class centres (Gaussian noise of 0.7 per dimension before normalising), and 1,000 queries
that are held-out points of the same classes. For each index type (flat, IVF-PQ with its
SQ8 re-ranking, HNSW) it reports build throughput (train + add), query throughput (k = 10,
one batch), bytes per vector (the serialised index, which is what it occupies in memory)
and recall@10 against the flat index (the share of the exact 10 nearest neighbours
returned among the 10). Each size runs in its own process, so each peak RSS is its own.

    OMP_NUM_THREADS=1 python bench/bench_index.py --sizes 100000 --dims 64 512
    python bench/bench_index.py --quick                   # 20,000 vectors, ~1 min
    python bench/bench_index.py --output bench/results/index.md
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

QUERIES = 1000
K = 10


def synthetic(n, dim, seed=0):
    """(n database vectors, QUERIES query vectors), clustered and L2-normalised."""
    import numpy as np
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (max(2, n // 50), dim)).astype(np.float32)
    labels = rng.integers(0, len(centres), n + QUERIES)
    points = np.empty((n + QUERIES, dim), dtype=np.float32)
    for start in range(0, n + QUERIES, 100000):  # never all the noise at once in float64
        rows = slice(start, min(start + 100000, n + QUERIES))
        points[rows] = centres[labels[rows]] + rng.standard_normal(
            (len(labels[rows]), dim), dtype=np.float32) * 0.7
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points[:n], points[n:]


def measure(n, dim, kinds=None):
    """One size and dimension, every index type (or ``kinds``; exact search always gives
    the reference): a list of result dicts."""
    import faiss
    import numpy as np

    from common.tools.index import faiss_index
    database, queries = synthetic(n, dim)
    results, exact = [], None
    for kind in faiss_index.KINDS:
        if kinds and kind not in kinds and kind != 'flat':
            continue
        params = faiss_index.parameters(kind, dim, n)
        start = time.perf_counter()
        index = faiss_index.build(kind, database, params)
        build = time.perf_counter() - start
        start = time.perf_counter()
        _, ids = index.search(queries, K)
        query = time.perf_counter() - start
        if kind == 'flat':
            exact = ids
        recall = float(np.mean([len(np.intersect1d(a, b)) / K for a, b in zip(exact, ids)]))
        size = len(faiss.serialize_index(index))
        results.append(dict(kind=kind, n=n, dim=dim, params=params,
                            build_per_s=n / build, build_s=build,
                            query_per_s=len(queries) / query, bytes_per_vector=size / n,
                            recall_at_10=recall))
        del index
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in results:
        r['peak_rss_mb'] = peak
    return results


def table(results):
    lines = ['| N | d | index (defaults) | build | build vectors/s | queries/s (k=10) | '
             'bytes/vector | recall@10 vs exact |', '|---|---|---|---|---|---|---|---|']
    for r in results:
        params = ', '.join('%s=%s' % kv for kv in r['params'].items()) or 'exact'
        lines.append('| {n:,} | {dim} | {kind} ({p}) | {build_s:.1f} s | {build_per_s:,.0f} | '
                     '{query_per_s:,.0f} | {bytes_per_vector:,.0f} | {recall_at_10:.3f} |'
                     .format(p=params, **r))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100000, 1000000])
    parser.add_argument('--dims', type=int, nargs='+', default=[64, 512])
    parser.add_argument('--quick', action='store_true', help='20,000 vectors only')
    parser.add_argument('--output', help='also write the table (Markdown) here')
    parser.add_argument('--kinds', nargs='+', choices=('flat', 'ivfpq', 'hnsw'),
                        help='only these index types (flat, the reference, always runs)')
    parser.add_argument('--one', nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(*args.one, kinds=args.kinds)))
        return
    sizes = [20000] if args.quick else args.sizes
    results = []
    for n in sizes:
        for dim in args.dims:
            done = subprocess.run([sys.executable, __file__, '--one', str(n), str(dim)]
                                  + (['--kinds'] + args.kinds if args.kinds else []),
                                  capture_output=True, text=True)
            if done.returncode:
                sys.exit('N=%d d=%d failed: %s' % (n, dim, done.stderr.strip()[-500:]))
            new = json.loads(done.stdout.strip().splitlines()[-1])
            results += new
            print('\n'.join(table(results).splitlines()[-len(new):]), flush=True)
    text = table(results)
    print(text)
    if args.output:
        with open(args.output, 'w') as f:
            f.write('OMP_NUM_THREADS=%s, %s\n\n%s\n' % (
                os.environ.get('OMP_NUM_THREADS', 'unset'), time.strftime('%Y-%m-%d'), text))


if __name__ == '__main__':
    main()
