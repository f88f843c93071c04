"""BatchNorm drift: what training steps without updates do to a pretrained network.

    python -m common.tools.batchnorm_drift train_triplet_semihard.py --passes 192 -- \\
        --dataset kanji --num-classes 200 --val-classes 20 --model efficientnet-lite0 \\
        --image-size 64 --embed-dim 64 --batch-size 128

builds the script's network as its first run does (same data, sampler,
augmentation and seed) and scores it on the split that chooses the best epoch
(the validation split with ``--val-classes``); then it runs ``--passes``
training batches through it in training mode with no update at all (a
learning rate of 0: only BatchNorm's moving statistics can change) and scores
it again. It does this once with the backbone's BatchNorm in training mode
(the playground's) and once with ``--frozen-bn``. Each pass is the training step
without its update: the forward pass, the loss and the backward pass. A large drop in the first
row says that the data's statistics are far from those the backbone was
trained on, and that ``--frozen-bn`` is likely to help when fine-tuning.
"""
import argparse
import itertools
import json

import mxnet as mx

from ..context import get_contexts, seed_everything
from ..models.batchnorm import batchnorm_layers
from ..records import Recorder
from ..training.distributed import Workers
from ..training.loop import train_epoch
from ..training.recipe import load_recipe
from ..training.run_setup import build_run, prepare_data
from .script_argv import split_argv

MODES = (('train', False), ('frozen', True))


def statistics(net):
    mx.nd.waitall()
    return [(layer.running_mean.data().asnumpy(), layer.running_var.data().asnumpy())
            for layer in batchnorm_layers(net.backbone)]


def drift(recipe, args, passes, frozen):
    """Metrics before and after ``passes`` training steps without updates, and how many of
    the backbone's BatchNorm layers changed their moving statistics: a dict."""
    args = argparse.Namespace(**dict(vars(args), frozen_bn=frozen, frozen_bn_affine=False))
    rec = Recorder(args.results_dir, None, stream=None)
    contexts = get_contexts(args.gpus)
    data = prepare_data(recipe, args, rec, contexts)
    seed_everything(args.seed)
    state, loader = build_run(recipe, args, rec, 1, args.seed, contexts, data.dataset,
                              data.transform, Workers(), None)
    before, stats = data.select(state.net), statistics(state.net)
    done = 0
    while done < passes:  # epochs of the script's own sampler, as training would draw them
        state.epoch += 1
        recipe.on_epoch_start(state)
        take = min(passes - done, len(loader))
        # The training step without optimisers: forward and backward, no update. (MXNet's
        # CPU BatchNorm moves its statistics in the backward pass, so both are needed.)
        train_epoch(state, itertools.islice(loader, take), recipe, [], [])
        done += take
    after = data.select(state.net)
    moved = sum(not ((m0 == m1).all() and (v0 == v1).all())
                for (m0, v0), (m1, v1) in zip(stats, statistics(state.net)))
    return dict(batchnorm='frozen' if frozen else 'train', passes=passes, before=before,
                after=after, layers=len(stats), layers_moved=moved)


def format_rows(rows, metric='R@1'):
    lines = ['%-8s %10s %14s %8s %s' % ('BN', metric + ' before', 'after', 'change',
                                        'layers whose statistics moved')]
    for row in rows:
        b, a = row['before'][metric], row['after'][metric]
        lines.append('%-8s %10.2f %14.2f %+8.2f %d of %d' % (
            row['batchnorm'], b, a, a - b, row['layers_moved'], row['layers']))
    return '\n'.join(lines)


def build_parser():
    p = argparse.ArgumentParser(prog='python -m common.tools.batchnorm_drift',
                                description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('script', help='a training script, e.g. train_triplet_semihard.py')
    p.add_argument('--passes', type=int, default=192,
                   help='training batches run forward in training mode, with no update')
    p.add_argument('--out', metavar='FILE', help='also write the rows as JSON')
    p.epilog = 'After --: the script\'s options (data, model, batch size, ...).'
    return p


def main(argv=None):
    parser = build_parser()
    own, options = split_argv(argv)
    args = parser.parse_args(own)
    if args.passes < 1:
        parser.error('--passes must be at least 1')
    try:
        recipe = load_recipe(args.script)
    except (ImportError, ValueError) as e:
        parser.error('%s: %s' % (args.script, e))
    script_args = recipe.parse_args(options)
    rows = [drift(recipe, script_args, args.passes, frozen) for _, frozen in MODES]
    print('%s, %d training steps without an update (learning rate 0; %s split):'
          % (args.script, args.passes, 'validation' if script_args.val_classes else 'test'))
    print(format_rows(rows))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == '__main__':
    main()
