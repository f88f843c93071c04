"""The command-line options every training script shares.

Option names and meanings are the playground's (``TrainingParser``), so a
playground command line runs unchanged; each script adds its own options
and sets its own defaults for the training schedule.
"""
import argparse

from .data import DATASETS
from .models import list_backbones


def build_parser(description, defaults):
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group('devices')
    g.add_argument('--gpus', default='-1',
                   help='-1: all GPUs (the CPU when there is none); -2: the CPU; or GPU ids, '
                        'e.g. 0,1. The batch size is per device')
    g.add_argument('--kvstore', default='device',
                   help='how gradients are summed: device, local or nccl (one process), '
                        'dist_sync or dist_device_sync (several processes or machines started '
                        'with the DMLC variables, see the README), horovod')
    g.add_argument('--amp', action='store_true',
                   help='mixed precision (MXNet AMP): convolutions and dense layers in float16 '
                        'on GPUs, bfloat16 on CPUs; the loss blocks stay float32')
    g.add_argument('--num-workers', type=int, default=4, help='data loader worker processes')

    g = p.add_argument_group('data')
    g.add_argument('--dataset', default='CUB',
                   help='one of %s (case-insensitive; miniCUB = folder)' % ', '.join(DATASETS))
    g.add_argument('--data-path', default=None,
                   help='dataset folder (glyphs: where to cache the rendered images)')
    g.add_argument('--folder-split', default=None, metavar='FILE',
                   help='folder dataset: lines "<class folder> train|test" instead of the '
                        'first-half/second-half split')
    g.add_argument('--num-classes', type=int, default=None, metavar='N',
                   help='latin and kanji: use the first N classes (half train, half test) '
                        'instead of all')
    g.add_argument('--use-crops', action='store_true',
                   help='crop images to their bounding boxes (CUB, official Cars196 layout)')
    g.add_argument('--image-size', type=int, default=224, help='training and test crop size')
    g.add_argument('--min-crop-area', type=float, default=None,
                   help="smallest image share a random training crop keeps (default: the "
                        "dataset's, 0.08 as in the playground; glyphs 0.35)")

    g = p.add_argument_group('model')
    g.add_argument('--model', default='inception-bn', choices=list_backbones(),
                   help='backbone network')
    g.add_argument('--embed-dim', type=int, default=64, help='embedding dimension')
    g.add_argument('--pretrained', default=None, metavar='PATH',
                   help='backbone weights file (default: the standard file in ~/.mxnet/models)')
    g.add_argument('--no-pretrained', action='store_true',
                   help='train the backbone from a random initialisation')
    g.add_argument('--frozen-bn', action='store_true',
                   help="run the backbone's BatchNorm layers in inference mode while training: "
                        "they normalise with the pretrained moving statistics and never update "
                        "them; gamma and beta still train. Use it when fine-tuning a pretrained "
                        "backbone on images whose statistics differ from ImageNet's (see the "
                        "README's CPU benchmark); the default is the playground's training mode. "
                        "Heads are never affected")
    g.add_argument('--frozen-bn-affine', action='store_true',
                   help='with --frozen-bn, also freeze the BatchNorm layers\' gamma and beta')
    g.add_argument('--disable-hybridize', action='store_true',
                   help='run the network and loss imperatively (for debugging)')

    g = p.add_argument_group('training')
    g.add_argument('--batch-size', type=int, help='images per batch and device')
    g.add_argument('--epochs', type=int,
                   help='number of epochs; 0 evaluates the untrained (pretrained) network')
    g.add_argument('--optimizer', default='adam',
                   help='MXNet optimizer name; sgd uses momentum 0.9')
    g.add_argument('--lr', type=float, help='learning rate')
    g.add_argument('--wd', type=float, help='weight decay (coupled L2, MXNet style)')
    g.add_argument('--factor', type=float, help='learning-rate decay factor')
    g.add_argument('--steps', type=str,
                   help='epochs at which to decay: 20,30,40; 0 = never; -N = every N epochs')
    g.add_argument('--seed', type=int, default=123, help='random seed; run r uses seed + r - 1')
    g.add_argument('--number-of-runs', type=int, default=1,
                   help='independent runs; mean and std are reported')
    g.add_argument('--resume', action='store_true',
                   help='continue the interrupted invocation of this command from its last '
                        'checkpoint (<results-dir>/<log name>.state); starts afresh if none')
    g.add_argument('--on-nonfinite', choices=('stop', 'skip'), default='stop',
                   help='a batch with a NaN or infinite loss or gradient stops the run, or is '
                        'skipped without an update; either way it is written to '
                        '<results-dir>/<log name>.nonfinite/ to reproduce it')
    g.add_argument('--checkpoint-every', type=int, default=1, metavar='N',
                   help='save the training state every N epochs for --resume; 0: never')

    g = p.add_argument_group('evaluation and records')
    g.add_argument('--val-classes', type=val_classes, default=None, metavar='N',
                   help='choose the best epoch on N training classes (or a fraction, e.g. 0.2) '
                        'held out as a class-disjoint validation split, and evaluate the test '
                        'split once; default: the playground\'s selection on the test split')
    g.add_argument('--val-fold', type=val_fold, default=None, metavar='I/K',
                   help='choose the best epoch on fold I of K class-disjoint folds of the '
                        'training classes and train on the other folds (what python -m '
                        'common.tools.tune runs); instead of --val-classes')
    g.add_argument('--tuned', type=tuned, default=None, metavar='STUDY:TRIALS:FOLDS',
                   help='record that these options were chosen by the tuning study STUDY '
                        '(TRIALS trials on FOLDS folds; python -m common.tools.tune best '
                        'writes it): the records say "selection": "tuned"')
    g.add_argument('--skip-pretrain-validation', action='store_true',
                   help='do not evaluate before training')
    g.add_argument('--no-nmi', dest='nmi', action='store_false', help='skip the NMI (k-means)')
    g.add_argument('--eval-every', type=int, default=1,
                   help='evaluate every N epochs (and always after the last one)')
    g.add_argument('--results-dir', default='results', help='folder for logs, records and models')
    g.add_argument('--logfile', help='log file name in --results-dir; "None" disables log files')
    g.add_argument('--log-postfix', default='', help='appended to the log name as _<postfix>')
    g.add_argument('--save-model-prefix',
                   help='save <prefix>.params at each new best epoch; "none" disables')
    g.add_argument('--save-embeddings', action='store_true',
                   help='save the selected epoch\'s test embeddings, labels and image paths '
                        'as <log name>[_run<r>]_embeddings.npz (for python -m '
                        'common.tools.visualize)')
    p.set_defaults(**defaults)
    return p


def check_args(parser, args):
    """One-line errors for option values that cannot work (the options stay as parsed)."""
    positive = {'--batch-size': args.batch_size,
                '--embed-dim': args.embed_dim, '--number-of-runs': args.number_of_runs,
                '--factor': args.factor}
    for option, value in positive.items():
        if value is None or value <= 0:
            parser.error('%s must be positive (got %s)' % (option, value))
    if args.epochs is None or args.epochs < 0:
        parser.error('--epochs must be >= 0 (got %s; 0 evaluates the untrained network)'
                     % args.epochs)
    if args.epochs == 0 and args.skip_pretrain_validation:
        parser.error('--epochs 0 evaluates the untrained network only: drop '
                     '--skip-pretrain-validation')
    if args.lr is not None and args.lr <= 0:  # some scripts allow no --lr (per-group rates)
        parser.error('--lr must be positive (got %s)' % args.lr)
    if args.wd is None or args.wd < 0:
        parser.error('--wd must be >= 0 (got %s)' % args.wd)
    if args.eval_every < 1:
        parser.error('--eval-every must be at least 1')
    if args.num_classes is not None and args.num_classes < 4:
        parser.error('--num-classes must be at least 4 (2 training and 2 test classes)')
    if args.checkpoint_every < 0:
        parser.error('--checkpoint-every must be >= 0 (0: no checkpoints)')
    if args.num_workers < 0:
        parser.error('--num-workers must be >= 0')
    if args.image_size < 16:
        parser.error('--image-size must be at least 16 pixels (got %d)' % args.image_size)
    if args.min_crop_area is not None and not 0 < args.min_crop_area <= 1:
        parser.error('--min-crop-area must be in (0, 1] (got %s)' % args.min_crop_area)
    if args.frozen_bn_affine and not args.frozen_bn:
        parser.error('--frozen-bn-affine freezes gamma and beta on top of --frozen-bn: add '
                     '--frozen-bn')
    if args.val_fold and args.val_classes:
        parser.error('--val-fold and --val-classes both choose a validation split: give one')
    if args.tuned and args.val_fold:  # a fold is what a study's trials train on
        parser.error('--tuned records a final run, not one of a study\'s folds: drop '
                     '--val-fold (--val-classes may choose its epoch)')
    if args.pretrained and args.no_pretrained:
        parser.error('--pretrained and --no-pretrained exclude each other')
    return args


def val_classes(value):
    """``--val-classes``: a class count (>= 2) or a fraction in (0, 1)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is not None and 0 < number < 1:
        return number
    if number is not None and number >= 2 and number == int(number):
        return int(number)
    raise argparse.ArgumentTypeError('%s: give a number of classes (>= 2) or a fraction in '
                                     '(0, 1)' % value)


def val_fold(value):
    """``--val-fold I/K``: (I, K) with 1 <= I <= K and K >= 2."""
    try:
        index, count = (int(v) for v in value.split('/'))
    except ValueError:
        index = count = None
    if index is None or count < 2 or not 1 <= index <= count:
        raise argparse.ArgumentTypeError('%s: give I/K, fold I of K >= 2 folds (e.g. 1/4)'
                                         % value)
    return index, count


def tuned(value):
    """``--tuned STUDY:TRIALS:FOLDS``: {'study', 'trials', 'folds'} for the records."""
    study, _, rest = value.rpartition(':')
    study, _, trials = study.rpartition(':')
    try:
        numbers = int(trials), int(rest)
    except ValueError:
        numbers = None
    if not study or numbers is None:
        raise argparse.ArgumentTypeError('%s: give STUDY:TRIALS:FOLDS, e.g. margin_kanji:40:4'
                                         % value)
    return dict(study=study, trials=numbers[0], folds=numbers[1])


def selection(args):
    """The records' name of how the options and the epoch were chosen: 'tuned' (by a study;
    trained on the full training split, or its epoch chosen on --val-classes as a benchmark
    does), 'validation' (on held-out training classes) or 'test' (the playground's epoch
    choice on the test split)."""
    if getattr(args, 'tuned', None):
        return 'tuned'
    return 'validation' if args.val_classes or getattr(args, 'val_fold', None) else 'test'


def add_class_balanced_options(parser, batch_k, iterations):
    """``--batch-k`` and ``--iteration-per-epoch`` for scripts with P x K batches."""
    parser.add_argument('--batch-k', type=int, default=batch_k,
                        help='images per class in a batch (P = batch size / K classes)')
    parser.add_argument('--iteration-per-epoch', type=int, default=iterations,
                        help='batches per epoch')


def add_npair_options(parser, epoch_length=200, same_image=0.1):
    """Options of the N-pair batch construction (two images of each of N classes)."""
    parser.add_argument('--epoch-length', type=int, default=epoch_length,
                        help='batches per epoch')
    parser.add_argument('--same-image-sampling', type=float, default=same_image,
                        help='probability that a pair is one image augmented twice')
    parser.add_argument('--decrease-cnn-lr', action='store_true',
                        help='train the embedding layer 10x faster than the backbone')
