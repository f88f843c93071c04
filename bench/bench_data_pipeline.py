"""Data pipeline speed: decoded + augmented images/s against what a training step consumes.

Writes CUB-like JPEGs (shorter side 281-500 px with the longer side at most 500, quality 90,
smooth colour fields with edges and grain, so decoding costs what a photo costs) in a
class-per-folder tree, and pulls batches of 32 through the training pipeline:
``common.data.folder`` split, the P x K sampler (8 classes x 4), ``ImageDataset`` and
``TrainTransform`` at 224 px as the class-balanced scripts use it (forced to 256 x 256,
random-sized crop, flip, Inception-BN normalisation), ``train_loader`` with 0, 1 and 2
workers. The same is measured from a pre-resized copy made by ``common.tools.resize_cache``
(shorter side 256). The consumption rate is 32 images per Inception-BN training step
(``mxnet_step_seconds`` of bench/bench_training_step.py, static hybridized, 224 px);
the target is a pipeline at least 2x faster.

On a machine with few cores the workers and the training step share them: the isolated
rates overstate what loading gets during training. ``--concurrent`` also runs a training
step process while loading, and reports both rates under that contention.

    python bench/bench_data_pipeline.py                          # ~4 min on 2 cores
    python bench/bench_data_pipeline.py --concurrent --output results/bench_data_pipeline.md
    python bench/bench_data_pipeline.py --workers 0,2 --steps 2 --warmup 1 --concurrent
    python bench/bench_data_pipeline.py --quick                  # few images, 0 workers, ~1 min
"""
import argparse
import os
import platform
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _path in (ROOT, HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import common  # noqa: E402,F401  (sets OMP_NUM_THREADS before MXNet loads)

BATCH, PER_CLASS = 32, 4
# CUB's images: longer side 500 px, shorter side mostly 281-375 (some square or portrait).
CUB_SIZES = ((500, 375), (500, 333), (500, 281), (500, 400), (500, 500), (375, 500),
             (333, 500), (500, 364))


def natural_image(rng, width, height):
    """BGR uint8: a smooth colour field, mid-frequency texture, a few hard edges and grain.

    Pure noise would decode slower than a photo and a flat gradient faster; this gives
    a detailed photo's JPEG size (about 3 bits per pixel, 60-90 KB at 500 x 375).
    """
    import cv2
    import numpy as np
    base = cv2.resize(rng.uniform(30, 220, (5, 7, 3)).astype(np.float32), (width, height),
                      interpolation=cv2.INTER_CUBIC)
    texture = cv2.resize(rng.normal(0, 25, (height // 6, width // 6, 3)).astype(np.float32),
                         (width, height), interpolation=cv2.INTER_CUBIC)
    img = base + texture + rng.normal(0, 10, (height, width, 3)).astype(np.float32)
    for _ in range(rng.integers(3, 8)):
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        axes = (int(rng.integers(10, width // 3)), int(rng.integers(10, height // 3)))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                    rng.uniform(0, 255, 3).tolist(), -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_dataset(root, classes, per_class, seed=0):
    """``root/class_NNN/img_MMM.jpg``; returns (images, mean bytes, mean megapixels)."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(seed)
    total_bytes = total_pixels = 0
    for c in range(classes):
        folder = os.path.join(root, 'class_%03d' % c)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            w, h = CUB_SIZES[rng.integers(len(CUB_SIZES))]
            path = os.path.join(folder, 'img_%03d.jpg' % i)
            cv2.imwrite(path, natural_image(rng, w, h), [cv2.IMWRITE_JPEG_QUALITY, 90])
            total_bytes += os.path.getsize(path)
            total_pixels += w * h
    n = classes * per_class
    return n, total_bytes / n, total_pixels / n / 1e6


def tree_stats(root):
    import cv2
    sizes, pixels = [], []
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith('.jpg'):
                path = os.path.join(folder, name)
                sizes.append(os.path.getsize(path))
                h, w = cv2.imread(path).shape[:2]
                pixels.append(w * h)
    return sum(sizes) / len(sizes), sum(pixels) / len(pixels) / 1e6


def make_loader(root, workers, batches, seed=0):
    """The class-balanced scripts' training loader over the folder tree at ``root``."""
    from common.data.folder import load_folder
    from common.data.loader import train_loader
    from common.data.samplers import ClassBalancedBatchSampler
    from common.data.transforms import Normalize, TrainTransform
    from common.models import backbone_spec
    split = load_folder(root).train
    spec = backbone_spec('inception-bn')
    transform = TrainTransform(224, Normalize(spec.mean, spec.std), resize=256)
    sampler = ClassBalancedBatchSampler(split.labels, BATCH, PER_CLASS, batches, seed)
    return train_loader(split, transform, sampler, num_workers=workers)


def loading_rate(root, workers, batches, stop=None):
    """(images/s after the first batch, seconds to the first batch). With ``stop`` (an
    Event), loads epochs of ``batches`` until it is set and rates the whole time."""
    start = time.perf_counter()
    loader = make_loader(root, workers, batches + 1)
    first = images = 0
    while True:
        # Each pass is an epoch of the sampler; the loader keeps its worker pool.
        for data, _ in loader:
            if not first:
                first = time.perf_counter()
            else:
                images += data.shape[0]
        if stop is None or stop.is_set():
            break
    return images / (time.perf_counter() - first), first - start


def concurrent_rates(root, workers, batches, step_args):
    """Load while a training step process runs: (images/s, step seconds) under contention."""
    from bench_training_step import mxnet_step_seconds
    result, stop = {}, threading.Event()

    def train():
        try:
            result['step'] = mxnet_step_seconds(224, BATCH, *step_args)
        finally:
            stop.set()
    thread = threading.Thread(target=train)
    thread.start()
    time.sleep(5)   # let the step process import MXNet and build its network first
    rate, _ = loading_rate(root, workers, batches, stop)
    thread.join()
    return rate, result['step']


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true',
                   help='few images, batches and steps, 0 workers only: a smoke run')
    p.add_argument('--workers', default=None, help='comma-separated worker counts (0,1,2)')
    p.add_argument('--classes', type=int, default=None, help='class folders (default 40)')
    p.add_argument('--per-class', type=int, default=None, help='images per class (20)')
    p.add_argument('--batches', type=int, default=None, help='timed batches per case (12)')
    p.add_argument('--steps', type=int, default=None, help='timed training steps (5)')
    p.add_argument('--warmup', type=int, default=None, help='untimed training steps (2)')
    p.add_argument('--concurrent', action='store_true',
                   help='also load while a training step process runs')
    p.add_argument('--work-dir', default=None, help='where to write the JPEGs (a temp dir)')
    p.add_argument('--output', default=None, help='also write the table as Markdown here')
    args = p.parse_args()
    quick = args.quick
    workers = [int(w) for w in (args.workers or ('0' if quick else '0,1,2')).split(',')]
    classes = args.classes or (16 if quick else 40)
    per_class = args.per_class or (6 if quick else 20)
    batches = args.batches or (3 if quick else 12)
    steps, warmup = args.steps or (1 if quick else 5), args.warmup or (1 if quick else 2)
    if classes < 2 * BATCH // PER_CLASS:
        p.error('--classes %d: the training half needs %d classes for 8 x 4 batches'
                % (classes, BATCH // PER_CLASS))

    from bench_training_step import mxnet_step_seconds

    from common.models import backbone_spec  # noqa: F401  (imported here, not in a timing)
    from common.tools.resize_cache import build_cache
    work = tempfile.mkdtemp(prefix='bench_data_', dir=args.work_dir)
    try:
        original, cached = os.path.join(work, 'jpeg'), os.path.join(work, 'jpeg_256')
        start = time.perf_counter()
        n, mean_bytes, mean_mp = write_dataset(original, classes, per_class)
        print('wrote %d JPEGs (%.0f KB, %.3f MP on average) in %.1f s'
              % (n, mean_bytes / 1024, mean_mp, time.perf_counter() - start), flush=True)
        start = time.perf_counter()
        counts = build_cache(original, cached, short_side=256, quality=95, workers=2)
        cache_seconds = time.perf_counter() - start
        cache_bytes, cache_mp = tree_stats(cached)
        print('resize_cache: %d images in %.1f s (%.0f images/s), %.0f KB, %.3f MP on average'
              % (counts['images'], cache_seconds, n / cache_seconds, cache_bytes / 1024,
                 cache_mp), flush=True)

        step = mxnet_step_seconds(224, BATCH, 'static', steps, warmup)
        need = BATCH / step
        print('training step: %.2f s per batch of %d = %.1f images/s consumed'
              % (step, BATCH, need), flush=True)

        rows = []
        for label, root in (('original JPEGs', original), ('resize_cache 256', cached)):
            for w in workers:
                rate, startup = loading_rate(root, w, batches)
                rows.append((label, w, 'alone', rate, rate / need, startup, None))
                print('%s, %d workers: %.1f images/s (%.1fx consumption), first batch %.2f s'
                      % (label, w, rate, rate / need, startup), flush=True)
                if args.concurrent:
                    rate, step_during = concurrent_rates(root, w, batches, ('static', steps,
                                                                          warmup))
                    need_during = BATCH / step_during
                    rows.append((label, w, 'during training', rate, rate / need_during, None,
                                 step_during))
                    print('  during training: %.1f images/s (%.1fx its consumption), step '
                          '%.2f s' % (rate, rate / need_during, step_during), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = report(rows, dict(
        n=n, mean_kb=mean_bytes / 1024, mean_mp=mean_mp, cache_kb=cache_bytes / 1024,
        cache_mp=cache_mp, cache_seconds=cache_seconds, step=step, need=need, batches=batches,
        steps=steps, warmup=warmup))
    print('\n'.join(lines))
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        print('wrote %s' % args.output)


def report(rows, s):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    lines = [
        '# Data pipeline vs training step (224 px, batches of %d)' % BATCH, '',
        'Machine: %s, %d cores, OMP_NUM_THREADS=%s, Python %s.' % (
            platform.processor() or platform.machine(), cores,
            os.environ.get('OMP_NUM_THREADS'), platform.python_version()),
        '%d CUB-like JPEGs (%.0f KB, %.3f MP on average, quality 90); the cache holds them at '
        'a shorter side of 256 (%.0f KB, %.3f MP, quality 95), made in %.1f s.' % (
            s['n'], s['mean_kb'], s['mean_mp'], s['cache_kb'], s['cache_mp'],
            s['cache_seconds']),
        'Pipeline: folder split, P x K sampler (8 x 4), ImageDataset, TrainTransform '
        '(force 256 x 256, random-sized crop to 224, flip, Inception-BN mean), '
        'train_loader; %d timed batches after the first.' % s['batches'],
        'Consumption: one Inception-BN + 64-d head training step (MXNet static hybridized, '
        'semi-hard triplet, Adam) takes %.2f s (median of %d after %d), i.e. %.1f images/s.'
        % (s['step'], s['steps'], s['warmup'], s['need']), '',
        '| source | workers | measured | images/s | x consumption | s per batch | '
        'first batch s | step s |', '|---|---|---|---|---|---|---|---|']
    for label, w, when, rate, ratio, startup, step in rows:
        lines.append('| %s | %d | %s | %.1f | %.1f | %.3f | %s | %s |' % (
            label, w, when, rate, ratio, BATCH / rate,
            '' if startup is None else '%.2f' % startup,
            '%.2f' % s['step'] if step is None else '%.2f' % step))
    lines += ['', 'Target: at least 2x consumption. "s per batch" is the loading time of one '
              'batch, to set against the step time. "during training" rows load flat out while '
              'a training step process runs on the same cores, and their ratio uses the step '
              'time measured under that contention: a worst case, since in training the '
              'loader stops once its prefetched batches wait for the step.']
    return lines


if __name__ == '__main__':
    main()
