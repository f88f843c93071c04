"""--onnx: the ONNX file gives MXNet's embeddings under onnxruntime (when onnx<1.16 and
onnxruntime are installed: pip install -e '.[onnx]')."""
import os

import numpy as np
import pytest
from exported_models import export_model

from common.tools.export.model_folder import PARAMS, SYMBOL, load_model
from common.tools.export.onnx_file import TOLERANCE, export_checked, max_difference

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')


def test_onnx_outputs_match_mxnet(tmp_path, glyph_root):
    folder, _ = export_model(str(tmp_path), glyph_root)
    net, description = load_model(folder)
    out = os.path.join(folder, 'model.onnx')
    difference = export_checked(os.path.join(folder, SYMBOL), os.path.join(folder, PARAMS), net,
                                description['image_size'], out)
    assert difference <= TOLERANCE
    # Any batch size, on inputs other than those the export was checked with.
    for batch in (1, 5):
        inputs = np.random.default_rng(batch).normal(0, 2, (batch, 3, 32, 32))
        assert max_difference(out, net, inputs.astype(np.float32)) <= TOLERANCE
