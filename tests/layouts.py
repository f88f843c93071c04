"""Writers of the official dataset layouts (index files plus empty image files).

The loaders read index files and check that every image file exists; they
never decode images, so empty files are enough to test splits and counts.
"""
import os

import numpy as np


def per_class(total, classes):
    base, extra = divmod(total, classes)
    return [base + (1 if c < extra else 0) for c in range(classes)]


def touch(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, 'w').close()


def write_cub(root, train=5864, test=5924):
    counts = per_class(train, 100) + per_class(test, 100)
    images, labels, boxes = [], [], []
    image_id = 0
    for c, n in enumerate(counts, 1):
        for i in range(n):
            image_id += 1
            rel = '%03d.Class_%d/img_%d.jpg' % (c, c, i)
            images.append('%d %s' % (image_id, rel))
            labels.append('%d %d' % (image_id, c))
            boxes.append('%d %.1f %.1f %.1f %.1f' % (image_id, 10 + c, 20, 100, 50 + i % 7))
            touch(os.path.join(root, 'images', rel))
    for name, lines in (('images.txt', images), ('image_class_labels.txt', labels),
                        ('bounding_boxes.txt', boxes),
                        ('classes.txt', ['%d %03d.Class_%d' % (c, c, c) for c in range(1, 201)])):
        with open(os.path.join(root, name), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def write_cars_mat(root, train=8054, test=8131):
    from scipy.io import savemat
    counts = per_class(train, 98) + per_class(test, 98)
    dtype = [('relative_im_path', 'O'), ('bbox_x1', 'O'), ('bbox_y1', 'O'), ('bbox_x2', 'O'),
             ('bbox_y2', 'O'), ('class', 'O'), ('test', 'O')]
    rows = []
    for c, n in enumerate(counts, 1):
        for i in range(n):
            rel = 'car_ims/%06d.jpg' % (len(rows) + 1)
            rows.append((rel, 11, 21, 110, 80, c, i % 2))  # 'test' is the classification split
            touch(os.path.join(root, rel))
    annotations = np.array(rows, dtype=dtype).reshape(1, -1)
    class_names = np.array(['Car %d' % c for c in range(1, 197)], dtype=object).reshape(1, -1)
    savemat(os.path.join(root, 'cars_annos.mat'),
            {'annotations': annotations, 'class_names': class_names})
    return root


def write_cars_folders(root, train=8054, test=8131):
    for c, n in enumerate(per_class(train, 98) + per_class(test, 98), 1):
        for i in range(n):
            touch(os.path.join(root, str(c), '%05d.jpg' % i))
    return root


def write_sop(root, train=(59551, 11318), test=(60502, 11316), touch_files=True):
    image_id, class_id = 0, 0
    for filename, (images, classes) in (('Ebay_train.txt', train), ('Ebay_test.txt', test)):
        lines = ['image_id class_id super_class_id path']
        for n in per_class(images, classes):
            class_id += 1
            for i in range(n):
                image_id += 1
                rel = 'cat%d_final/%d_%d.JPG' % (class_id % 12, class_id, i)
                lines.append('%d %d %d %s' % (image_id, class_id, class_id % 12 + 1, rel))
                if touch_files:
                    touch(os.path.join(root, rel))
        with open(os.path.join(root, filename), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def write_inshop(root, train=(25882, 3997), query=14218, gallery=12612, test_items=3985):
    rows = []
    for item, n in enumerate(per_class(train[0], train[1])):
        rows += [('img/MEN/Tees/id_%08d/%02d_front.jpg' % (item, i), 'id_%08d' % item, 'train')
                 for i in range(n)]
    q, g = per_class(query, test_items), per_class(gallery, test_items)
    for t in range(test_items):
        item = train[1] + t
        for status, n in (('query', q[t]), ('gallery', g[t])):
            rows += [('img/WOMEN/Dresses/id_%08d/%s_%02d.jpg' % (item, status, i),
                      'id_%08d' % item, status) for i in range(n)]
    with open(os.path.join(root, 'list_eval_partition.txt'), 'w') as f:
        f.write('%d\nimage_name item_id evaluation_status\n' % len(rows))
        f.write(''.join('%s %s %s\n' % r for r in rows))
    for path, _, _ in rows:
        touch(os.path.join(root, path))
    return root
