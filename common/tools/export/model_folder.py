"""The exported model folder: what is in it, writing it and reading it back.

    model-symbol.json   the network's graph (Gluon ``HybridBlock.export``)
    model-0000.params   its parameters
    model.json          how to feed it and what it was: backbone, image size, input
                        scaling, embedding size, L2-normalised or not, the metric to search
                        with, the training command, git revision and test metrics
    model.onnx          with --onnx only

The network's input is the test-time image exactly as training fed it (shorter side
resized to ``resize``, the central ``image_size`` square, RGB minus ``mean`` divided by
``std``, NCHW float32); ``model.json`` holds those numbers so that a reader without the
toolkit can prepare an image (the README shows how).
"""
import json
import os
import warnings

import mxnet as mx

from ...data.transforms import EvalTransform, Normalize
from ...io import write_json_atomic

PREFIX = 'model'
SYMBOL = PREFIX + '-symbol.json'
PARAMS = PREFIX + '-0000.params'
DESCRIPTION = 'model.json'
ONNX = PREFIX + '.onnx'
REQUIRED = (DESCRIPTION, SYMBOL, PARAMS)
FORMAT = 1


class ModelFolderError(ValueError):
    """A model folder that cannot be written or read (the message names it)."""


def check_new_folder(out):
    """Refuse to write into a folder that already holds files (an older export would mix
    with this one)."""
    if os.path.isfile(out):
        raise ModelFolderError('--out %s is a file; name a new folder' % out)
    if os.path.isdir(out) and os.listdir(out):
        raise ModelFolderError('--out %s already holds files; choose a new folder or delete '
                               'it' % out)


def write_model_folder(trained, out):
    """Export ``trained`` (a :class:`~.trained_net.TrainedRun`) into the folder ``out``;
    returns the description written to model.json."""
    check_new_folder(out)
    os.makedirs(out, exist_ok=True)
    net = trained.net
    # export() needs the cached graph, which the first forward pass of a hybridized
    # network builds.
    net.hybridize()
    net(trained.probe(1)[0])
    net.export(os.path.join(out, PREFIX), epoch=0)
    description = dict(format=FORMAT, input_name='data', **trained.description())
    write_json_atomic(os.path.join(out, DESCRIPTION), description)
    return description


def read_description(folder):
    """model.json of ``folder``, after checking every required file is there."""
    if not os.path.isdir(folder):
        raise ModelFolderError('--model %s is not a folder; export one with python -m '
                               'common.tools.export' % folder)
    missing = [name for name in REQUIRED if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        raise ModelFolderError('--model %s has no %s; export the model again with python -m '
                               'common.tools.export' % (folder, missing[0]))
    path = os.path.join(folder, DESCRIPTION)
    try:
        with open(path) as f:
            description = json.load(f)
    except ValueError as e:
        raise ModelFolderError('%s is not valid JSON (%s); export the model again'
                               % (path, e)) from None
    for key in ('image_size', 'mean', 'std', 'embed_size', 'metric', 'input_name'):
        if key not in description:
            raise ModelFolderError('%s has no %r; export the model again' % (path, key))
    return description


def load_model(folder, ctx=mx.cpu()):
    """(network, description) of an exported folder; the network is a SymbolBlock."""
    description = read_description(folder)
    with warnings.catch_warnings():
        # Gluon cannot tell the input's dtype before the first call and says so; it is
        # float32, as model.json states.
        warnings.filterwarnings('ignore', 'Cannot decide type', UserWarning)
        net = mx.gluon.SymbolBlock.imports(os.path.join(folder, SYMBOL),
                                           [description['input_name']],
                                           os.path.join(folder, PARAMS), ctx=ctx)
    return net, description


def transform(description):
    """The toolkit's test-time transform (RGB HWC uint8 -> CHW float32) for a model."""
    return EvalTransform(description['image_size'],
                         Normalize(description['mean'], description['std']))
