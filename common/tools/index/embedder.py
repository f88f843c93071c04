"""Embedding the listed images with an exported model, in shards that a rerun resumes.

Images are decoded and transformed in ``num_workers`` processes (the toolkit's reader and
test-time transform, so the pixels are those training saw). An image that cannot be read
is not fatal: its error is kept with the shard, and the caller lists it in skipped.csv.
A shard is written once all its rows are embedded, so an interrupted build loses at most
one shard of work.
"""
import numpy as np
from mxnet import gluon, nd
from tqdm import tqdm

from ...data.decode import ImageReadError, read_image

DEFAULT_SHARD_SIZE = 10000


class ListedImages(gluon.data.Dataset):
    """Item i: (CHW float32 image or None, listing row, error message or '')."""

    def __init__(self, paths, rows, transform):
        self.paths, self.rows, self.transform = paths, rows, transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        try:
            return self.transform(read_image(self.paths[i])), self.rows[i], ''
        except ImageReadError as e:
            return None, self.rows[i], str(e)
        except Exception as e:  # OpenCV and Pillow raise many types on hostile files
            return None, self.rows[i], 'image %s: %s' % (self.paths[i], e)


def collate(items):
    """(images N x 3 x H x W, their rows, failed rows, their errors) of a batch."""
    good = [(x, row) for x, row, error in items if not error]
    bad = [(row, error) for x, row, error in items if error]
    images = np.stack([x for x, _ in good]) if good else None
    return (images, np.array([r for _, r in good], dtype=np.int64),
            [r for r, _ in bad], [e for _, e in bad])


def pending_ranges(total, done, shard_size, first_row=0):
    """(start, stop) chunks of at most ``shard_size`` listing rows, from ``first_row`` to
    ``total``, that no finished shard in ``done`` covers."""
    covered = np.zeros(total, dtype=bool)
    for start, stop in done:
        covered[start:stop] = True
    ranges, row = [], first_row
    while row < total:
        if covered[row]:
            row += 1
            continue
        stop = row
        while stop < total and not covered[stop] and stop - row < shard_size:
            stop += 1
        ranges.append((row, stop))
        row = stop
    return ranges


def embed_listing(store, listing, net, transform, batch_size=64, num_workers=0,
                  shard_size=DEFAULT_SHARD_SIZE, first_row=0, progress=True):
    """Embed every listing row from ``first_row`` that no shard of ``store`` holds yet."""
    ranges = pending_ranges(len(listing), store.shard_ranges(), shard_size, first_row)
    paths = listing['path'].tolist()
    bar = tqdm(total=sum(b - a for a, b in ranges), unit='img', desc='embedding',
               disable=not progress)
    for start, stop in ranges:
        rows = list(range(start, stop))
        dataset = ListedImages([paths[r] for r in rows], rows, transform)
        loader = gluon.data.DataLoader(dataset, batch_size=batch_size, shuffle=False,
                                       num_workers=num_workers, batchify_fn=collate)
        outputs, kept, failed, errors = [], [], [], []
        for images, good_rows, bad_rows, messages in loader:
            if images is not None:
                outputs.append(net(nd.array(images)).asnumpy())
                kept.append(good_rows)
            failed += bad_rows
            errors += messages
            bar.update(len(good_rows) + len(bad_rows))
        embeddings = np.concatenate(outputs) if outputs else np.zeros((0, 0), np.float32)
        store.write_shard(start, stop, embeddings,
                          np.concatenate(kept) if kept else np.zeros(0, np.int64),
                          failed, errors)
    bar.close()
    return len(ranges)
