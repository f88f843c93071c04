"""The exported network as ONNX, checked against MXNet under onnxruntime.

MXNet 1.9.1's converter (``mxnet.onnx.export_model``) imports ``onnx.mapping`` (removed
in onnx 1.19) and stamps the file with the newest opset the installed onnx knows. Tried
beside numpy 1.23.5 on Python 3.11: onnx 1.15.0 with onnxruntime 1.19.2 works (``pip
install -e '.[onnx]'``); onnx 1.17.0 and 1.18.0 convert, but their files declare opset 22
and IR version 11, which onnxruntime 1.19.2 refuses to load. A file whose outputs differ
from MXNet's by more than ``TOLERANCE``, or that onnxruntime cannot load, is deleted,
never left behind as if it were right.
"""
import os

import numpy as np

TOLERANCE = 1e-4
INSTALL = "pip install onnx==1.15.0 onnxruntime==1.19.2 (pip install -e '.[onnx]')"


class OnnxError(RuntimeError):
    """The ONNX file cannot be written or does not match MXNet."""


def _require():
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        raise OnnxError('--onnx needs the onnx and onnxruntime packages (%s): %s'
                        % (e.name, INSTALL)) from None
    if not hasattr(onnx, 'mapping'):
        raise OnnxError('--onnx: onnx %s has no onnx.mapping, which MXNet 1.9.1\'s converter '
                        'needs: %s' % (onnx.__version__, INSTALL))


def _register_l2_normalization():
    """Teach the converter L2Normalization's ``instance`` mode, which every embedding head
    uses (the converter knows only ``channel`` mode).

    On the heads' (N, D) outputs both modes normalise each row, which is ONNX's
    LpNormalization over axis 1; it has no epsilon, so only rows of norm below 1e-5 would
    come out differently (the check after conversion would catch any other difference).
    """
    from mxnet.onnx.mx2onnx._export_onnx import MXNetGraph
    from mxnet.onnx.mx2onnx._op_translations._op_translations_opset12 import get_inputs
    from onnx.helper import make_node

    def convert(node, **kwargs):
        name, inputs, _ = get_inputs(node, kwargs)
        return [make_node('LpNormalization', inputs, [name], axis=1, p=2, name=name)]
    MXNetGraph.register('L2Normalization')(convert)


def write_onnx(symbol_file, params_file, image_size, out):
    """Convert the exported network (any batch size, ``image_size`` square) to ``out``."""
    _require()
    import mxnet as mx
    _register_l2_normalization()
    try:
        _convert(mx, symbol_file, params_file, image_size, out)
    except Exception as e:  # the converter raises many types for unsupported operators
        if os.path.exists(out):
            os.remove(out)
        first = (str(e).strip().splitlines() or [repr(e)])[0]
        raise OnnxError('MXNet\'s ONNX converter failed (%s: %s); the MXNet files are '
                        'written, model.onnx is not' % (type(e).__name__, first)) from None
    return out


def _convert(mx, symbol_file, params_file, image_size, out):
    mx.onnx.export_model(symbol_file, params_file, [(1, 3, image_size, image_size)],
                         np.float32, out, dynamic=True,
                         dynamic_input_shapes=[(None, 3, image_size, image_size)])


def max_difference(onnx_file, net, inputs):
    """Largest absolute difference between onnxruntime's outputs and ``net``'s on the
    (N, 3, H, W) float32 ``inputs``."""
    import mxnet as mx
    import onnxruntime
    options = onnxruntime.SessionOptions()
    # Errors only: the converter keeps the weights among the graph inputs, about which
    # onnxruntime warns at length (the results are the same).
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(onnx_file, options,
                                           providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    got = session.run(None, {name: inputs.astype(np.float32)})[0]
    expected = net(mx.nd.array(inputs)).asnumpy()
    if got.shape != expected.shape:
        return float('inf')
    return float(np.abs(got - expected).max())


def export_checked(symbol_file, params_file, net, image_size, out, seed=0):
    """``write_onnx``, then compare on a random batch of 3; returns the difference."""
    write_onnx(symbol_file, params_file, image_size, out)
    inputs = np.random.default_rng(seed).normal(0, 1, (3, 3, image_size, image_size))
    try:
        difference = max_difference(out, net, inputs.astype(np.float32))
    except Exception as e:  # onnxruntime's errors have no common type
        os.remove(out)
        first = (str(e).strip().splitlines() or [repr(e)])[0]
        raise OnnxError('onnxruntime cannot run %s (%s); the file was deleted, the MXNet files '
                        'are written; %s' % (out, first[:300], INSTALL)) from None
    if not difference <= TOLERANCE:
        os.remove(out)
        raise OnnxError('%s: onnxruntime\'s outputs differ from MXNet\'s by %.3g (more than '
                        '%g); the file was deleted, the MXNet files are written'
                        % (out, difference, TOLERANCE))
    return difference
