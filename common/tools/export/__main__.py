"""Command line: export a finished run's network into a folder that loads without the toolkit.

    python -m common.tools.export results/train_dr_triplet_demo.manifest.json --out exported/demo
    python -m common.tools.export --params results/dr_model.params --out exported/demo \\
        --script train_dr.py -- --dataset glyphs --model small --image-size 32
    ... [--onnx] [--run R]

From a manifest, the parameters are those the run saved at its chosen epoch (a DREML
run: its chosen members); ``--params`` overrides them. Without a manifest, ``--script``
and the options after ``--`` say how the network was built. Writes model-symbol.json,
model-0000.params and model.json (see common/tools/export/model_folder.py), and with
--onnx model.onnx, checked against MXNet under onnxruntime.
"""
import argparse
import os
import sys

from ..script_argv import parse_with_script_options
from .model_folder import ONNX, PARAMS, SYMBOL, ModelFolderError, write_model_folder
from .onnx_file import OnnxError, export_checked
from .trained_net import ExportError, from_manifest, rebuild


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m common.tools.export',
        description='Export a trained network (Gluon symbol + params, model.json, optionally '
                    'ONNX).')
    parser.add_argument('manifest', nargs='?',
                        help='the run\'s <stem>.manifest.json (in its --results-dir)')
    parser.add_argument('--out', required=True, help='the new folder to write')
    parser.add_argument('--params', nargs='+',
                        help='parameter file(s) to load instead of the run\'s (DREML: one per '
                             'member, in order)')
    parser.add_argument('--script', help='without a manifest: the train_*.py script; its '
                                         'options follow --')
    parser.add_argument('--run', type=int, default=1, help='which run of a multi-run '
                                                           'invocation (default 1)')
    parser.add_argument('--onnx', action='store_true',
                        help='also write model.onnx (needs onnx<1.16 and onnxruntime)')
    return parser


def check_args(parser, args):
    options = args.options
    if args.manifest and (args.script or options):
        parser.error('give a manifest, or --script with its options after --, not both')
    if not args.manifest and not (args.script and args.params):
        parser.error('give the run\'s manifest, or --params with --script and its options')
    if args.manifest and not os.path.isfile(args.manifest):
        parser.error('manifest %s not found' % args.manifest)


def run(args):
    """Export as ``args`` asks; returns the description written to model.json."""
    if args.manifest:
        trained = from_manifest(args.manifest, args.params, args.run)
    else:
        trained = rebuild(args.script, args.options, args.params, run=args.run)
    description = write_model_folder(trained, args.out)
    if args.onnx:
        difference = export_checked(os.path.join(args.out, SYMBOL),
                                    os.path.join(args.out, PARAMS), trained.net,
                                    description['image_size'], os.path.join(args.out, ONNX))
        print('model.onnx matches MXNet within %.2g' % difference)
    return description


def main(argv=None):
    parser = build_parser()
    args = parse_with_script_options(parser, argv, 'options')
    check_args(parser, args)
    try:
        description = run(args)
    except (ExportError, ModelFolderError, OnnxError, ValueError, OSError) as e:
        sys.exit('%s: error: %s' % (parser.prog, e))
    print('wrote %s: %s, %d-d %sembeddings (%s), input %d px' % (
        args.out, description['backbone'], description['embed_size'],
        'L2-normalised ' if description['l2_normalized'] else '', description['metric'],
        description['image_size']))
    return description


if __name__ == '__main__':
    main()
