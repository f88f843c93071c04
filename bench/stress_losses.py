"""Stress run: every loss configuration on thousands of random and degenerate batches.

Each configuration (a training script's loss with its default or chosen options, see
``CONFIGS`` in tests/stress_batches.py, which the test suite shares) runs N batches in
float32, hybridized, forward + backward, with gradients w.r.t. the embeddings and the
block's parameters. Batches cycle through the generators (Gaussian, unit rows, duplicates
within and across classes, collapse, zero rows, singletons mixed with pairs, huge, tiny and
mixed norms, 1e-7 jitter, antipodal points) with labels in the layout of the script's
sampler and varying batch sizes and class counts. Prints non-finite losses and gradients
per configuration and per generator; exits 1 with a reproducer if any was found.

    OMP_NUM_THREADS=1 python bench/stress_losses.py                    # 5000 batches, ~12 min
    OMP_NUM_THREADS=1 python bench/stress_losses.py --batches 200 --seed 3
    OMP_NUM_THREADS=1 python bench/stress_losses.py --only 'NCA' --seed 0 --first 17 --batches 1
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)                          # the train_*.py scripts and common
sys.path.insert(0, os.path.join(ROOT, 'tests'))   # stress_batches, shared with the tests

import stress_batches as sb  # noqa: E402  (imports common first: threads before MXNet)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--batches', type=int, default=5000, help='batches per configuration')
    parser.add_argument('--seed', type=int, default=0, help='batch i is drawn from (seed, i)')
    parser.add_argument('--first', type=int, default=0, help='index of the first batch')
    parser.add_argument('--only', action='append', metavar='NAME',
                        help='run this configuration only (exact name; repeatable)')
    args = parser.parse_args(argv)
    configs = [c for c in sb.CONFIGS if not args.only or c[0] in args.only]
    if not configs:
        parser.error('no configuration named %s; known: %s'
                     % (args.only, ', '.join(c[0] for c in sb.CONFIGS)))
    start = time.perf_counter()
    print('%-42s %8s %15s %15s %8s' % ('configuration', 'batches', 'non-finite loss',
                                       'non-finite grad', 'seconds'))
    results = []
    for config in configs:
        r = sb.stress(sb.build_case(config), args.batches, args.seed, args.first)
        results.append(r)
        print('%-42s %8d %15d %15d %8.1f' % (r.name, r.batches, r.bad_loss, r.bad_grad,
                                             r.seconds), flush=True)
    print('\n%-42s %8s %15s %15s' % ('generator (all configurations)', 'batches',
                                     'non-finite loss', 'non-finite grad'))
    for generator, _, _ in sb.GENERATORS:
        totals = [sum(r.counts[generator][i] for r in results) for i in range(3)]
        print('%-42s %8d %15d %15d' % (generator, *totals))
    failed = [r for r in results if r.failure]
    for r in failed:
        print('\n%s, per generator (batches, non-finite loss, non-finite grad): %s' % (
            r.name, {g: tuple(c) for g, c in r.counts.items() if c[1] or c[2]}))
    print('\n%d configurations x %d batches = %d batches in %.0f s; non-finite: %d losses, '
          '%d gradients' % (len(results), args.batches, len(results) * args.batches,
                            time.perf_counter() - start, sum(r.bad_loss for r in results),
                            sum(r.bad_grad for r in results)))
    if failed:
        print('First failure: ' + sb.describe_failure(failed[0]))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
