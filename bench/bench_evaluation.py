"""Evaluation speed and memory against the bare faiss calls and the bare matrix products.

``evaluate`` at SOP scale (60,502 embeddings, 11,316 classes) computes
Recall@{1,10,100,1000}, MAP@R and NMI. Two references, each timed here on
the same data in its own process (so each peak RSS is its own):

* the bare faiss calls: an exact k-NN search with the largest k it needs
  and ``faiss.Kmeans`` with as many centroids as classes (target: ours
  <= 0.5x their sum, <= 3 GB, at 512-d and at 64-d);
* the GEMM floor of each phase, the matrix products alone with numpy's
  BLAS: queries x gallery for the k-NN (the N x N x d product, in blocks)
  and points x centroids for k-means, once per assignment (20 iterations
  + the final assignment = 21; three are timed and scaled to 21).

Ours is timed per phase too (``exact_knn`` and ``kmeans_assign`` inside
``evaluate``), so each phase is set against its floor. For contrast
the script prints what the playground's full N x N distance matrix would
need, and ``--playground`` also runs the playground's evaluation (dense
matrix, scikit-learn k-means) at a size where it fits.

    python bench/bench_evaluation.py                      # ~15 min on 2 cores
    python bench/bench_evaluation.py --quick              # small sizes, ~1 min
    python bench/bench_evaluation.py --playground         # adds the playground at N=10,000
    python bench/bench_evaluation.py --output bench/results/evaluation.md
    python bench/bench_evaluation.py --crossover          # the backend rule's sweep, ~10 min

``--crossover`` times ``exact_knn`` and ``kmeans_assign`` with each backend, back
to back in one process, over the sizes and k where the choice could flip; its
table is what ``common/evaluation/backend.py``'s rule rests on.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

KS = (1, 10, 100, 1000)
KMEANS_ITERS = 20  # what evaluate() runs


def sop_like(n, dim, classes, seed=0):
    """Clustered float32 embeddings with 2-12 images per class, like SOP's test split."""
    import numpy as np
    rng = np.random.RandomState(seed)
    sizes = rng.randint(2, 13, size=classes)
    sizes = np.maximum(1, np.round(sizes * n / sizes.sum()).astype(int))
    labels = np.repeat(np.arange(classes), sizes)[:n]
    labels = np.concatenate([labels, rng.randint(0, classes, n - len(labels))])
    centres = rng.randn(classes, dim).astype(np.float32)
    # Noise comparable to the spread of the centres, so neighbours are not all trivial.
    x = centres[labels] + 1.0 * rng.randn(n, dim).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def ours(x, y):
    """evaluate(), with the time spent in its k-NN search and its k-means recorded."""
    import common.evaluation as evaluation
    phases = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0) + time.perf_counter() - start
        return wrapper
    evaluation.exact_knn = timed('knn_seconds', evaluation.exact_knn)
    evaluation.kmeans_assign = timed('kmeans_seconds', evaluation.kmeans_assign)
    metrics = evaluation.evaluate(x, y, recall_ks=KS)
    metrics.update(phases)
    return metrics


def faiss_knn(x, y):
    """The bare search evaluate() cannot do without: every point against all, k = 1000 + self."""
    import faiss
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    index.search(x, min(max(KS) + 1, len(x)))
    return {}


def faiss_kmeans(x, y):
    """The bare faiss.Kmeans training (timed alone); its NMI for comparison, untimed."""
    import faiss
    import numpy as np

    from common.evaluation import nmi
    k = len(np.unique(y))
    km = faiss.Kmeans(x.shape[1], k, niter=KMEANS_ITERS, seed=0, verbose=False,
                      max_points_per_centroid=len(x), min_points_per_centroid=1)
    start = time.perf_counter()
    km.train(x)
    seconds = time.perf_counter() - start
    _, assignment = km.index.search(x, 1)
    return {'seconds': seconds, 'NMI': nmi(y, assignment.ravel())}


def blocked_product(a, b, rows):
    """Seconds of a @ b.T in blocks of ``rows`` rows of a, the output discarded."""
    start = time.perf_counter()
    for first in range(0, len(a), rows):
        a[first:first + rows] @ b.T
    return time.perf_counter() - start


def gemm_knn(x, y):
    """The k-NN's floor: the N x N x d product in blocks of queries, nothing else; the
    faster of ours's block (16M entries) and 1,024 rows."""
    from common.evaluation.blas_knn import BLOCK_ELEMENTS
    return {'seconds': min(blocked_product(x, x, rows)
                           for rows in (BLOCK_ELEMENTS // len(x), 1024))}


def gemm_kmeans(x, y, timed=2):
    """k-means' floor: 21 points x centroids products (two timed, scaled to 21); the
    faster of ours's block (16 MB of scores) and 64 MB."""
    import numpy as np
    centroids = x[:len(np.unique(y))].copy()
    best = min(sum(blocked_product(x, centroids, (mb << 20) // (4 * len(centroids)))
                   for _ in range(timed)) for mb in (16, 64))
    return {'seconds': best * (KMEANS_ITERS + 1) / timed}


def playground(x, y):
    """The playground's evaluation as its spec describes it (dense matrix, sklearn k-means)."""
    import numpy as np
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import normalized_mutual_info_score
    sq = np.sum(x ** 2, axis=1)
    dist = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(dist, 1e10)
    kmax = max(KS)
    order = np.argpartition(dist, range(1, kmax + 1), axis=1)[:, :kmax]
    hits = y[order] == y[:, None]
    out = {'R@%d' % k: 100 * float(np.mean(hits[:, :k].any(axis=1))) for k in KS}
    k = len(np.unique(y))
    km = (KMeans(k, n_init=10) if k <= 1000 else MiniBatchKMeans(k, n_init=1)).fit(x)
    out['NMI'] = 100 * normalized_mutual_info_score(y, km.labels_, average_method='geometric')
    return out


CASES = {'ours': ours, 'faiss_knn': faiss_knn, 'faiss_kmeans': faiss_kmeans,
         'gemm_knn': gemm_knn, 'gemm_kmeans': gemm_kmeans, 'playground': playground}
REFERENCE_CASES = ('faiss_knn', 'faiss_kmeans', 'gemm_knn', 'gemm_kmeans')


CROSSOVER_KNN = [(n, dim) for n in (6000, 20000) for dim in (64, 512)]
CROSSOVER_KS = (8, 32, 128, 512, 1001)
CROSSOVER_KMEANS = [(5924, 64, 100), (5924, 512, 100), (20000, 64, 3700), (20000, 512, 3700)]


def crossover():
    """Seconds of each backend on the same data, and BLAS / faiss, per size and k."""
    import common  # noqa: F401  (thread settings)
    from common.evaluation import exact_knn, kmeans_assign

    def seconds(fn, **kwargs):
        start = time.perf_counter()
        fn(**kwargs)
        return time.perf_counter() - start
    lines = ['| search | N | dim | k / centroids | faiss (s) | BLAS (s) | BLAS / faiss |',
             '|---|---|---|---|---|---|---|']
    for n, dim in CROSSOVER_KNN:
        x, _ = sop_like(n, dim, n // 5)
        for k in CROSSOVER_KS:
            f, b = (seconds(exact_knn, queries=x, k=k, backend=be) for be in ('faiss', 'blas'))
            lines.append('| k-NN | %d | %d | %d | %.2f | %.2f | %.2f |' % (n, dim, k, f, b, b / f))
            print(lines[-1], flush=True)
    for n, dim, classes in CROSSOVER_KMEANS:
        x, _ = sop_like(n, dim, classes)
        f, b = (seconds(kmeans_assign, x=x, k=classes, backend=be) for be in ('faiss', 'blas'))
        lines.append('| k-means | %d | %d | %d | %.2f | %.2f | %.2f |'
                     % (n, dim, classes, f, b, b / f))
        print(lines[-1], flush=True)
    return ('Command: `python bench/bench_evaluation.py --crossover` (OMP_NUM_THREADS=%s, '
            '1-minute load average %s at the end); k-means with its default restarts '
            '(10 k-means++ starts below N*k*d = 2e9, else one random start).\n\n'
            % (os.environ.get('OMP_NUM_THREADS', 'unset'), load_average())
            + '\n'.join(lines) + '\n')


def run_case(name, n, dim, classes):
    x, y = sop_like(n, dim, classes)
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    metrics = CASES[name](x, y)
    seconds = metrics.pop('seconds', time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'case': name, 'n': n, 'dim': dim, 'classes': classes,
                      'seconds': seconds, 'peak_mb': peak_mb, 'data_mb': base_mb,
                      'metrics': metrics}))


def measure(name, n, dim, classes):
    cmd = [sys.executable, os.path.abspath(__file__), '--case', name, '--n', str(n),
           '--dim', str(dim), '--classes', str(classes)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit('bench_evaluation: case %s (N=%d, %d-d) failed:\n%s'
                 % (name, n, dim, out.stderr.strip()))
    return json.loads(out.stdout.strip().splitlines()[-1])


def dense_matrix_gb(n):
    """What a full N x N evaluation holds: float32 distances plus int64 argpartition output."""
    return n * n * 4 / 1e9, n * n * 8 / 1e9


def load_average():
    try:
        return '%.1f' % os.getloadavg()[0]
    except OSError:  # not on this platform
        return '?'


def table(args, sizes, rows, pg_rows, loads):
    cmd = 'python bench/bench_evaluation.py' + ''.join(
        ' --' + f for f in ('quick', 'playground') if getattr(args, f))
    lines = ['Command: `%s` (OMP_NUM_THREADS=%s, %d cores, %s); each case in its own process; '
             '1-minute load average %s at the start, %s at the end (2 = both cores busy '
             'before this run).'
             % (cmd, os.environ.get('OMP_NUM_THREADS', 'unset'), os.cpu_count(),
                platform.processor() or platform.machine(), *loads), '',
             'Synthetic SOP-shaped data: N L2-normalised embeddings around one centre per '
             'class (2-12 per class). `ours` is `common.evaluation.evaluate` computing '
             'Recall@{1,10,100,1000}, MAP@R and NMI (k-means, %d iterations), with the time '
             'of its k-NN search and of its k-means; `faiss` is one `IndexFlatL2.search` '
             'with k = 1001 and one `faiss.Kmeans(...).train` with as many centroids as '
             'classes; the GEMM floor is the bare numpy products of each phase (N x N x d; '
             '%d x N x classes x d).' % (KMEANS_ITERS, KMEANS_ITERS + 1), '',
             '| N | dim | classes | ours (s) | faiss k-NN + k-means (s) | ours / faiss | '
             'ours peak RSS (MB) | faiss k-NN peak (MB) | R@1 | MAP@R | NMI | '
             'NMI of faiss.Kmeans |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for (n, dim, classes), r in zip(sizes, rows):
        us, knn, km = r['ours'], r['faiss_knn'], r['faiss_kmeans']
        m = us['metrics']
        lines.append('| %d | %d | %d | %.1f | %.1f + %.1f | **%.2fx** | %.0f | %.0f | %.2f | '
                     '%.2f | %.2f | %.2f |' % (
                         n, dim, classes, us['seconds'], knn['seconds'], km['seconds'],
                         us['seconds'] / (knn['seconds'] + km['seconds']), us['peak_mb'],
                         knn['peak_mb'], m['R@1'], m['MAP@R'], m['NMI'], km['metrics']['NMI']))
    lines += ['', 'Per phase (seconds; x = times the GEMM floor):', '',
              '| dim | phase | ours | faiss | GEMM floor | ours / floor | faiss / floor |',
              '|---|---|---|---|---|---|---|']
    for (n, dim, classes), r in zip(sizes, rows):
        m = r['ours']['metrics']
        for phase, ours_s, faiss_case, floor_case in (
                ('k-NN (k = 1001)', m['knn_seconds'], 'faiss_knn', 'gemm_knn'),
                ('k-means (%d x %d centroids)' % (KMEANS_ITERS, classes), m['kmeans_seconds'],
                 'faiss_kmeans', 'gemm_kmeans')):
            floor = r[floor_case]['seconds']
            theirs = r[faiss_case]['seconds']
            lines.append('| %d | %s | %.1f | %.1f | %.1f | %.2fx | %.2fx |' % (
                dim, phase, ours_s, theirs, floor, ours_s / floor, theirs / floor))
        rest = r['ours']['seconds'] - m['knn_seconds'] - m['kmeans_seconds']
        lines.append('| %d | rest (labels, Recall@K, MAP@R, NMI) | %.1f | | | | |' % (dim, rest))
    n = sizes[0][0]
    dist_gb, order_gb = dense_matrix_gb(n)
    lines += ['', 'For contrast, a full N x N evaluation at N=%d (the playground\'s way) would '
              'hold %.1f GB of float32 distances plus %.1f GB of int64 argpartition output.'
              % (n, dist_gb, order_gb)]
    if pg_rows:
        pg, us = pg_rows
        lines += ['', '| evaluator | N | dim | classes | seconds | peak RSS (MB) | R@1 | NMI |',
                  '|---|---|---|---|---|---|---|---|']
        for r in pg_rows:
            lines.append('| %s | %d | %d | %d | %.1f | %.0f | %.2f | %.2f |' % (
                r['case'], r['n'], r['dim'], r['classes'], r['seconds'], r['peak_mb'],
                r['metrics']['R@1'], r['metrics']['NMI']))
        lines += ['', 'At N=%d ours takes %.2fx the playground\'s time and %.2fx its peak memory '
                  '(the playground clusters with MiniBatchKMeans above 1,000 classes).'
                  % (pg['n'], us['seconds'] / pg['seconds'], us['peak_mb'] / pg['peak_mb'])]
    return '\n'.join(lines) + '\n'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--case', choices=sorted(CASES))
    p.add_argument('--n', type=int)
    p.add_argument('--dim', type=int)
    p.add_argument('--classes', type=int)
    p.add_argument('--quick', action='store_true', help='small sizes, for a smoke run')
    p.add_argument('--playground', action='store_true',
                   help="also run the playground's dense evaluation at N=10,000")
    p.add_argument('--crossover', action='store_true',
                   help="time both backends over sizes and k (the backend rule's measurements)")
    p.add_argument('--output', help='also write the table (Markdown) to this file')
    args = p.parse_args()
    if args.case:
        import common  # noqa: F401  (thread settings)
        return run_case(args.case, args.n, args.dim, args.classes)
    os.environ.setdefault('OMP_NUM_THREADS', str(os.cpu_count()))
    if args.crossover:
        text = crossover()
        print(text)
        if args.output:
            with open(args.output, 'w') as f:
                f.write(text)
        return
    # Quick sizes stay in the large-problem regime of kmeans_assign (one random start), as SOP.
    sizes = ([(6000, 512, 1122), (15000, 64, 2805)] if args.quick
             else [(60502, 512, 11316), (60502, 64, 11316)])
    rows = []
    start_load = load_average()
    for size in sizes:
        rows.append({case: measure(case, *size) for case in ('ours',) + REFERENCE_CASES})
        print('N=%d %d-d: %s' % (size[0], size[1], ', '.join(
            '%s %.1f s' % (case, r['seconds']) for case, r in rows[-1].items())), flush=True)
    pg_rows = None
    if args.playground:
        small = (3000, 128, 560) if args.quick else (10000, 512, 1870)
        pg_rows = [measure('playground', *small), measure('ours', *small)]
    text = table(args, sizes, rows, pg_rows, (start_load, load_average()))
    print(text)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
