"""Evaluation speed and memory: ours (blocked faiss k-NN, full k-means) vs the playground's.

The playground evaluates with a dense N x N float32 distance matrix, an
``argpartition`` of the whole matrix, and scikit-learn k-means
(MiniBatchKMeans above 1,000 classes). That needs > 44 GB at SOP size, so
the comparison runs at a size where both fit; ours also runs at full SOP
size. Each case runs in its own process so that peak memory is its own.

    python bench/bench_evaluation.py                 # both comparisons, ~10 min on 2 cores
    python bench/bench_evaluation.py --quick         # small sizes, ~1 min
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


def sop_like(n, dim, classes, seed=0):
    """Clustered float32 embeddings with 2-12 images per class, like SOP's test split."""
    import numpy as np
    rng = np.random.RandomState(seed)
    sizes = rng.randint(2, 13, size=classes)
    sizes = np.maximum(1, np.round(sizes * n / sizes.sum()).astype(int))
    labels = np.repeat(np.arange(classes), sizes)[:n]
    labels = np.concatenate([labels, rng.randint(0, classes, n - len(labels))])
    centres = rng.randn(classes, dim).astype(np.float32)
    x = centres[labels] + 1.5 * rng.randn(n, dim).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def ours(x, y, ks):
    from common.evaluation import evaluate
    return evaluate(x, y, recall_ks=ks)


def playground(x, y, ks):
    """The playground's evaluation as its spec describes it (dense matrix, sklearn k-means)."""
    import numpy as np
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import normalized_mutual_info_score
    sq = np.sum(x ** 2, axis=1)
    dist = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(dist, 1e10)
    kmax = max(ks)
    order = np.argpartition(dist, range(1, kmax + 1), axis=1)[:, :kmax]
    hits = y[order] == y[:, None]
    out = {'R@%d' % k: 100 * float(np.mean(hits[:, :k].any(axis=1))) for k in ks}
    k = len(np.unique(y))
    km = (KMeans(k, n_init=10) if k <= 1000 else MiniBatchKMeans(k, n_init=1)).fit(x)
    out['NMI'] = 100 * normalized_mutual_info_score(y, km.labels_, average_method='geometric')
    return out


def run_case(name, n, dim, classes, ks):
    import numpy as np  # noqa: F401
    x, y = sop_like(n, dim, classes)
    start = time.time()
    metrics = {'ours': ours, 'playground': playground}[name](x, y, ks)
    seconds = time.time() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'case': name, 'n': n, 'dim': dim, 'classes': classes, 'seconds': seconds,
                      'peak_mb': peak_mb, 'metrics': metrics}))


def measure(name, n, dim, classes, ks):
    cmd = [sys.executable, __file__, '--case', name, '--n', str(n), '--dim', str(dim),
           '--classes', str(classes), '--ks', ','.join(map(str, ks))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--case', choices=['ours', 'playground'])
    p.add_argument('--n', type=int)
    p.add_argument('--dim', type=int)
    p.add_argument('--classes', type=int)
    p.add_argument('--ks', default='1,10,100,1000')
    p.add_argument('--quick', action='store_true')
    p.add_argument('--output', default=os.path.join(ROOT, 'results', 'bench_evaluation.md'))
    args = p.parse_args()
    if args.case:
        import common  # noqa: F401  (threads)
        return run_case(args.case, args.n, args.dim, args.classes,
                        [int(k) for k in args.ks.split(',')])
    os.environ.setdefault('OMP_NUM_THREADS', str(os.cpu_count()))
    ks = (1, 10, 100, 1000)
    compare = (3000, 128, 560) if args.quick else (10000, 512, 1870)
    full = (12000, 128, 2244) if args.quick else (60502, 512, 11316)
    rows = [measure('playground', *compare, ks), measure('ours', *compare, ks),
            measure('ours', *full, ks)]
    lines = ['# Evaluation benchmark', '',
             'Command: `python bench/bench_evaluation.py%s` (OMP_NUM_THREADS=%s, %d cores)'
             % (' --quick' if args.quick else '', os.environ.get('OMP_NUM_THREADS', 'unset'),
                os.cpu_count()), '',
             'Synthetic SOP-shaped embeddings (2-12 images per class, L2-normalised); '
             'Recall@1/10/100/1000 and NMI.', '',
             '| evaluator | N | dim | classes | seconds | peak RSS (MB) | R@1 | NMI |',
             '|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append('| %s | %d | %d | %d | %.1f | %.0f | %.2f | %.2f |' % (
            r['case'], r['n'], r['dim'], r['classes'], r['seconds'], r['peak_mb'],
            r['metrics']['R@1'], r['metrics']['NMI']))
    pg, us = rows[0], rows[1]
    lines += ['', 'At N=%d: ours takes %.2fx the playground\'s time and %.2fx its peak memory.'
              % (pg['n'], us['seconds'] / pg['seconds'], us['peak_mb'] / pg['peak_mb']),
              'The playground\'s dense matrix at N=%d would need %.1f GB for the float32 '
              'distances plus %.1f GB for the int64 argpartition.'
              % (full[0], full[0] ** 2 * 4 / 1e9, full[0] ** 2 * 8 / 1e9)]
    text = '\n'.join(lines) + '\n'
    print(text)
    with open(args.output, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
