"""Class targets shared by the classification-style losses (proxies, softmax, centroids)."""
from .parameters import at_least, in_interval

# The parameters of class targets: a class count and a label smoothing.
TARGET_CHECKS = {'num_classes': at_least(2, integer=True), 'smoothing': in_interval(0, 1)}


def one_hot_like(F, labels, num_classes, like):
    """(B, C) one-hot rows of ``labels`` in the dtype of ``like`` (labels may be integers)."""
    return F.where(F.one_hot(labels, num_classes), F.ones_like(like), F.zeros_like(like))


def smoothed_targets(onehot, smoothing, num_classes):
    """q_ic: 1 - e on the label, e / (C - 1) elsewhere."""
    off = smoothing / (num_classes - 1)
    return onehot * (1 - smoothing - off) + off
