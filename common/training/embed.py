"""Embedding a whole split with a network, in inference mode (BN moving statistics)."""
import numpy as np
from mxnet import gluon, nd


def split_batch(data, contexts):
    """Slices of ``data`` on each context; fewer slices when the batch is smaller."""
    if len(contexts) == 1:
        return [data.as_in_context(contexts[0])]
    n = min(len(contexts), data.shape[0])
    return gluon.utils.split_and_load(data, contexts[:n], even_split=False)


def extract_embeddings(net, loader, contexts):
    """(embeddings float32 (N, D), labels int64 (N,)) in loader order."""
    outputs, labels = [], []
    for data, label in loader:
        for part in split_batch(data, contexts):
            out = net(part)
            if out.dtype != np.float32:  # bfloat16 under --amp
                out = out.astype('float32')
            outputs.append(out.asnumpy())
        labels.append(label.asnumpy())
    return (np.concatenate(outputs).astype(np.float32),
            np.concatenate(labels).astype(np.int64).ravel())


def forward_in_two(net, data, first):
    """``net`` over rows [0, first) and [first, end) in separate passes, concatenated.

    Batch normalisation then sees each part alone (N-pair anchors and
    positives, prototype supports and queries, as the playground ran them).
    """
    return nd.concat(net(data[:first]), net(data[first:]), dim=0)
