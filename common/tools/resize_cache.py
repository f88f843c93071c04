"""A pre-resized copy of a dataset folder, so that training decodes small JPEGs.

Every image under SRC is written to the same relative path under DST with
its shorter side reduced to at most ``--short-side`` pixels (never
upscaled; smaller images are copied byte for byte); every other file
(index files, split lists) is copied. The layout and file names are kept,
so the cache is a drop-in ``--data-path`` for the same ``--dataset``::

    python -m common.tools.resize_cache ~/data/CUB_200_2011 ~/data/CUB_200_2011_256
    python train_margin.py --dataset CUB --data-path ~/data/CUB_200_2011_256
    python -m common.tools.resize_cache DIR DIR_256 --short-side 256 --workers 4

Running the command again only redoes images whose source is newer than the
cached copy, or that were made with another ``--short-side`` / ``--quality``
(DST/.resize_cache.json records what was made). The file has no image
extension, so no dataset loader sees it.

Why 256: at ``--image-size 224`` the test transform resizes the shorter side
to 256 and the class-balanced, pair and episode scripts force training
images to 256 x 256, so the cache loses nothing for them. At another image
size use 256/224 of it, rounded up (260 at 227 px). The shuffled-batch
scripts (triplet, proxy, lifted, clustering, NormSoftmax, discriminative)
crop the original image: a crop of less than about 77 % of the area then
comes from fewer pixels than at full size (an original CUB image has a
shorter side near 375); pass a larger ``--short-side`` if that matters.

Bounding boxes (``--use-crops``): CUB's ``bounding_boxes.txt`` and Cars196's
``cars_annos.mat`` give boxes in pixels of the original image, so the copies
in DST are rewritten in pixels of the cached image (each axis scaled by
cached / original size), and ``--use-crops`` on the cache cuts the same
region. The box is then a part of an image of 256 px, so small boxes are
upsampled to the crop size; keep the original images (or a larger
``--short-side``) when training on box crops at full detail.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np

from ..data.decode import read_image
from ..data.folder import IMAGE_EXTENSIONS
from ..data.transforms import resize_short
from ..io import write_atomically, write_json_atomic

MANIFEST = '.resize_cache.json'
CUB_BOXES, CUB_IMAGES = 'bounding_boxes.txt', 'images.txt'
CARS_ANNOTATIONS = 'cars_annos.mat'


class CacheError(Exception):
    """A problem the user must fix; its message is the one-line report."""


def is_image(name):
    return name.lower().endswith(IMAGE_EXTENSIONS)


def scan(src):
    """(image files, other files): relative paths under ``src``, sorted."""
    images, others = [], []
    # Symlinked class folders count, as they do for the dataset loaders.
    for folder, dirs, files in os.walk(src, onerror=_raise, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(folder, name), src)
            (images if is_image(name) else others).append(rel)
    return images, others


def _raise(error):
    raise CacheError('resize_cache: cannot read %s (%s); check the SRC folder and its '
                     'permissions' % (error.filename, error.strerror))


def _encode(path, img, quality):
    ext = os.path.splitext(path)[1].lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext in ('.jpg', '.jpeg') else []
    if ext == '.pgm':
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    ok, data = cv2.imencode(ext, img, params)
    if not ok:
        raise ValueError('OpenCV cannot encode %s files' % ext)
    return data.tobytes()


def resize_one(job):
    """Make one cached image; returns (rel, [src w, src h, dst w, dst h]) or (rel, error)."""
    src, dst, rel, short_side, quality = job
    try:
        # Decoded as in training (channels, alpha, EXIF rotation), then encoded as BGR.
        img = cv2.cvtColor(read_image(os.path.join(src, rel)), cv2.COLOR_RGB2BGR)
        h, w = img.shape[:2]
        out = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        # Written then renamed, so an interrupted run leaves no half-written image that a
        # later run would take as cached.
        if min(h, w) <= short_side:
            write_atomically(out, lambda tmp: shutil.copyfile(os.path.join(src, rel), tmp),
                             durable=False)  # thousands of files: no sync each
            new_h, new_w = h, w
        else:
            small = resize_short(img, short_side, cv2.INTER_AREA)
            new_h, new_w = small.shape[:2]
            data = _encode(out, small, quality)
            write_atomically(out, lambda tmp: _write_bytes(tmp, data), durable=False)
        return rel, [w, h, new_w, new_h]
    except (OSError, ValueError, cv2.error) as e:
        message = str(e).strip()
        return rel, message.splitlines()[0] if message else type(e).__name__


def _write_bytes(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def _init_worker():
    # One process per core already; OpenCV's own threads would only compete.
    cv2.setNumThreads(1)


def read_manifest(dst, short_side, quality):
    """Sizes recorded by an earlier run with the same settings (else nothing is reusable)."""
    try:
        with open(os.path.join(dst, MANIFEST)) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return {}
    if record.get('short_side') != short_side or record.get('quality') != quality:
        return {}
    return record.get('images', {})


def write_manifest(dst, short_side, quality, sizes):
    write_json_atomic(os.path.join(dst, MANIFEST),
                      {'short_side': short_side, 'quality': quality, 'images': sizes})


def up_to_date(src_path, dst_path):
    return os.path.isfile(dst_path) and os.path.getmtime(dst_path) >= os.path.getmtime(src_path)


def scale_cub_boxes(src, dst, sizes):
    """bounding_boxes.txt (id x y w h, original pixels) in pixels of the cached images."""
    paths = {}
    with open(os.path.join(src, CUB_IMAGES)) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                paths[parts[0]] = os.path.join('images', parts[1])
    lines = []
    with open(os.path.join(src, CUB_BOXES)) as f:
        for line in f:
            parts = line.split()
            rel = os.path.normpath(paths.get(parts[0], '')) if len(parts) >= 5 else None
            if rel not in sizes:
                lines.append(line.rstrip('\n'))   # no cached image: nothing to scale against
                continue
            sx, sy = _factors(sizes[rel])
            x, y, w, h = (float(v) for v in parts[1:5])
            lines.append('%s %.2f %.2f %.2f %.2f' % (parts[0], x * sx, y * sy, w * sx, h * sy))
    with open(os.path.join(dst, CUB_BOXES), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def scale_cars_boxes(src, dst, sizes):
    """cars_annos.mat's 1-based inclusive corners, in pixels of the cached images."""
    from scipy.io import loadmat, savemat
    mat = loadmat(os.path.join(src, CARS_ANNOTATIONS))
    ann = mat['annotations']
    for i in np.ndindex(ann.shape):
        rel = os.path.normpath(str(np.squeeze(ann['relative_im_path'][i])))
        if rel not in sizes:
            continue
        sx, sy = _factors(sizes[rel])
        x1, y1, x2, y2 = (float(np.squeeze(ann[k][i]))
                          for k in ('bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2'))
        # Scale the 0-based box (x1 - 1, width x2 - x1 + 1), then back to corners.
        x, y, w, h = (x1 - 1) * sx, (y1 - 1) * sy, (x2 - x1 + 1) * sx, (y2 - y1 + 1) * sy
        for key, value in (('bbox_x1', x + 1), ('bbox_y1', y + 1), ('bbox_x2', x + w),
                           ('bbox_y2', y + h)):
            ann[key][i] = np.array([[value]])
    savemat(os.path.join(dst, CARS_ANNOTATIONS),
            {k: v for k, v in mat.items() if not k.startswith('__')})


def _factors(size):
    w, h, new_w, new_h = size
    return new_w / w, new_h / h


def check_destination(src, dst):
    src_real, dst_real = os.path.realpath(src), os.path.realpath(dst)
    if not os.path.isdir(src):
        raise CacheError('resize_cache: SRC %s is not a directory; pass the dataset folder' % src)
    if dst_real == src_real or dst_real.startswith(src_real + os.sep):
        raise CacheError('resize_cache: DST %s is inside SRC %s; choose a folder outside it'
                         % (dst, src))
    try:
        os.makedirs(dst, exist_ok=True)
    except OSError as e:
        raise CacheError('resize_cache: cannot create DST %s (%s); choose a writable folder'
                         % (dst, e.strerror))
    if not os.access(dst, os.W_OK | os.X_OK):
        raise CacheError('resize_cache: DST %s is not writable; choose a writable folder' % dst)


def run_jobs(jobs, workers):
    """``resize_one`` over ``jobs``, in this process or in a pool of ``workers``."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(resize_one, jobs)
        return
    # Spawned, not forked: a fork of a process whose OpenCV / OpenMP threads hold
    # locks can deadlock in the child (seen with scipy and cv2 loaded by the caller).
    context = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context,
                             initializer=_init_worker) as pool:
        yield from pool.map(resize_one, jobs, chunksize=16)


def _stderr(message):
    print(message, file=sys.stderr)


def build_cache(src, dst, short_side=256, quality=95, workers=None, log=_stderr):
    """Resize/copy everything from ``src`` into ``dst``; returns the counts."""
    if short_side < 1:
        raise CacheError('resize_cache: --short-side %d must be at least 1' % short_side)
    if not 1 <= quality <= 100:
        raise CacheError('resize_cache: --quality %d must be between 1 and 100' % quality)
    check_destination(src, dst)
    images, others = scan(src)
    if not images:
        raise CacheError('resize_cache: SRC %s holds no image files (%s)'
                         % (src, ', '.join(IMAGE_EXTENSIONS)))
    known = read_manifest(dst, short_side, quality)
    sizes = {r: known[r] for r in images
             if r in known and up_to_date(os.path.join(src, r), os.path.join(dst, r))}
    todo = [r for r in images if r not in sizes]
    counts = {'images': len(images), 'skipped': len(sizes), 'resized': 0, 'copied': 0,
              'failed': 0, 'other files copied': 0}
    jobs = [(src, dst, r, short_side, quality) for r in todo]
    try:
        for rel, result in run_jobs(jobs, workers or os.cpu_count() or 1):
            if isinstance(result, str):
                counts['failed'] += 1
                log('resize_cache: cannot make %s from %s: %s'
                    % (os.path.join(dst, rel), os.path.join(src, rel), result))
                continue
            sizes[rel] = result
            counts['copied' if result[:2] == result[2:] else 'resized'] += 1
    finally:
        # Kept even when interrupted, so the next run skips what is done.
        write_manifest(dst, short_side, quality, sizes)
    # Box files at the top of SRC are rewritten in cached pixels rather than copied.
    scalers = {CUB_BOXES: scale_cub_boxes, CARS_ANNOTATIONS: scale_cars_boxes}
    if CUB_IMAGES not in others:
        del scalers[CUB_BOXES]
    for rel in others:
        out = os.path.join(dst, rel)
        if rel in scalers:
            scalers[rel](src, dst, sizes)
            counts['box files scaled'] = counts.get('box files scaled', 0) + 1
        elif not up_to_date(os.path.join(src, rel), out):
            os.makedirs(os.path.dirname(out), exist_ok=True)
            shutil.copy2(os.path.join(src, rel), out)
            counts['other files copied'] += 1
    return counts


def main(argv=None):
    p = argparse.ArgumentParser(
        prog='python -m common.tools.resize_cache',
        description='Copy a dataset folder with every image reduced to a shorter side of at '
                    'most --short-side pixels; the copy is a drop-in --data-path.')
    p.add_argument('src', metavar='SRC', help='dataset folder (what --data-path points at)')
    p.add_argument('dst', metavar='DST', help='cache folder to create or update')
    p.add_argument('--short-side', type=int, default=256,
                   help='largest shorter side in pixels (default 256: 256/224 of --image-size)')
    p.add_argument('--quality', type=int, default=95, help='JPEG quality (default 95)')
    p.add_argument('--workers', type=int, default=None,
                   help='processes (default: one per core)')
    args = p.parse_args(argv)
    try:
        counts = build_cache(args.src, args.dst, args.short_side, args.quality, args.workers)
    except CacheError as e:
        print(e, file=sys.stderr)
        return 2
    print('resize_cache: %s -> %s: %s' % (args.src, args.dst,
                                          ', '.join('%d %s' % (v, k) for k, v in counts.items())))
    if counts['failed']:
        print('resize_cache: %d images failed (listed above); fix or remove them and run again'
              % counts['failed'], file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
