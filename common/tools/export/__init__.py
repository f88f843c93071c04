"""Exporting a trained network into a folder that loads without the toolkit.

``python -m common.tools.export`` (see :mod:`.__main__`) rebuilds a finished run's network
(:mod:`.trained_net`), writes it with Gluon's ``export`` and describes it in ``model.json``
(:mod:`.model_folder`), and optionally converts it to ONNX (:mod:`.onnx_file`).
"""
