"""A finished run's network, rebuilt from its manifest (or its script and options) and
loaded with its saved parameters, in inference mode.

The network is built as the training script built it (backbone, then the recipe's head)
and the ``.params`` file the run saved at its best epoch is loaded into it. A DREML run
saved one file per ensemble member; those become one :class:`ConcatenatedEmbeddings`
network of the members the run chose, each L2-normalised, as the run evaluated them.
"""
import os
import shlex
from dataclasses import dataclass, field

import mxnet as mx
import numpy as np

from ...data import get_dataset
from ...data.transforms import EvalTransform
from ...models import backbone_spec, build_embedding_net, get_backbone
from ...models.ensemble import ConcatenatedEmbeddings
from ...records import disabled, jsonl_path, read_manifest, read_records
from ...training.ensemble import EnsembleRunner
from ...training.recipe import Recipe, load_recipe


class ExportError(ValueError):
    """A run that cannot be exported as asked (the message names the file or option)."""


@dataclass(frozen=True)
class TrainingClasses:
    """What a recipe's ``build_head`` may read of the dataset: the training split's class
    count (a head with one output per class, as DiscriminativeLoss's), so that exporting
    never needs the images themselves when the manifest recorded it."""
    num_classes: int

    @property
    def train(self):
        return self


@dataclass
class TrainedRun:
    """The rebuilt network and what ``model.json`` says of it."""
    net: object
    recipe: object
    args: object
    params: list                      # the parameter files loaded
    command: str = ''
    git: str = None
    test_metrics: dict = field(default_factory=dict)
    members: int = 0                  # DREML: the ensemble members concatenated

    def description(self):
        """The fields of ``model.json`` that describe the network and its input."""
        spec = backbone_spec(self.args.model)
        size = self.args.image_size
        return {
            'backbone': self.args.model,
            'image_size': size,
            # The test-time transform: shorter side to `resize`, central `image_size` crop.
            'resize': EvalTransform(size, None).resize,
            'input': 'RGB, 0-255, minus mean, divided by std, NCHW float32',
            'mean': list(spec.mean),
            # Backbones without a std (Inception-BN) divide by nothing: 1 keeps one formula.
            'std': list(spec.std) if spec.std is not None else [1.0, 1.0, 1.0],
            'embed_size': self.embed_size(),
            'l2_normalized': self.l2_normalized(),
            'metric': self.recipe.evaluation_metric(self.args),
            'script': self.recipe.name,
            'ensemble_members': self.members or None,
            'command': self.command,
            'git': self.git,
            'test_metrics': self.test_metrics,
            'params_files': [os.path.basename(p) for p in self.params],
        }

    def probe(self, count=2, seed=0):
        """A batch of random inputs of the network's image size, and its embeddings."""
        size = self.args.image_size
        x = mx.nd.array(np.random.default_rng(seed).normal(0, 1, (count, 3, size, size)))
        return x, self.net(x).asnumpy()

    def embed_size(self):
        return int(self.probe(1)[1].shape[1])

    def l2_normalized(self):
        # Measured on the network's output rather than read from a head's attribute: every
        # head (linear, NormSoftmax, an ensemble) answers the same way.
        norms = np.linalg.norm(self.probe(4)[1], axis=1)
        return bool(np.allclose(norms, 1.0, atol=1e-4))


def params_path(manifest_path, args, run):
    """The .params file a run saved at its best epoch (Runner.checkpoint_path's rule)."""
    prefix = args.save_model_prefix + ('_run%d' % run if args.number_of_runs > 1 else '')
    path = prefix + '.params'
    if os.path.isabs(path):
        return path
    # The manifest lies in --results-dir, where the parameters were saved too.
    return os.path.join(os.path.dirname(os.path.abspath(manifest_path)), path)


def train_classes(args, manifest=None):
    """The training split's class count: recorded in the manifest, else read from the
    dataset the options name."""
    splits = ((manifest or {}).get('dataset') or {}).get('splits') or {}
    if 'train' in splits:
        return TrainingClasses(int(splits['train']['classes']))
    dataset = get_dataset(args.dataset, args.data_path, args.use_crops, args.folder_split,
                          num_classes=args.num_classes)
    if args.val_classes:
        dataset = dataset.with_validation(args.val_classes)
    return TrainingClasses(dataset.train.num_classes)


def build_member(recipe, args, classes, params, ctx):
    """One network as the script built it, with ``params`` loaded."""
    if not os.path.isfile(params):
        raise ExportError('%s: parameter file not found (was the run trained with '
                          '--save-model-prefix none, or moved?); pass --params' % params)
    backbone, _ = get_backbone(args.model, pretrained=False, ctx=ctx)
    net = build_embedding_net(backbone, None, init=recipe.head_initializer(args), ctx=ctx,
                              head=recipe.build_head(args, classes))
    try:
        net.load_parameters(params, ctx=ctx)
    except (mx.base.MXNetError, AssertionError, ValueError) as e:
        first = (str(e).strip().splitlines() or [repr(e)])[0]
        raise ExportError('%s does not fit the network of these options (%s); check --model, '
                          '--embed-dim and the script' % (params, first)) from None
    return net


def check_plain_output(recipe, args, net):
    """Refuse a recipe whose evaluated embeddings are not the network's output (e.g.
    train_normproxy.py --binarize): the exported network would not be what was scored."""
    if type(recipe).test_embeddings is Recipe.test_embeddings:
        return
    probe = np.ones((2, 3), dtype=np.float32)
    if recipe.test_embeddings(args, probe) is not probe:
        raise ExportError('train_%s.py post-processes its test embeddings with these options '
                          '(e.g. --binarize); exporting that step is not supported'
                          % recipe.name)


def rebuild(script, argv, params, manifest=None, manifest_path=None, run=1,
            ctx=mx.cpu()):
    """The :class:`TrainedRun` of ``script`` run with ``argv``; ``params`` overrides the
    parameter file(s) the manifest points at."""
    recipe = load_recipe(script)
    try:
        args = recipe.parse_args(list(argv))
    except SystemExit:
        raise ExportError('the options of %s do not parse (see above)' % script) from None
    if not 1 <= run <= args.number_of_runs:
        raise ExportError('--run %d: the run had runs 1..%d' % (run, args.number_of_runs))
    classes = train_classes(args, manifest)
    members = 0
    if isinstance(recipe.runner, type) and issubclass(recipe.runner, EnsembleRunner):
        # Members are saved in a folder beside the manifest, in training order.
        folder = os.path.join(os.path.dirname(os.path.abspath(manifest_path or '.')),
                              EnsembleRunner(recipe).member_folder(args, run))
        files = params or [os.path.join(folder, 'member_%03d.params' % m)
                           for m in range(chosen_members(manifest, args, run))]
        net = ConcatenatedEmbeddings([build_member(recipe, args, classes, p, ctx)
                                      for p in files])
        members = len(files)
    else:
        if params and len(params) != 1:
            raise ExportError('--params: one file for a %s run, not %d' % (recipe.name,
                                                                           len(params)))
        if not params and disabled(args.save_model_prefix):
            raise ExportError('the run was trained with --save-model-prefix none: it saved '
                              'no parameters to export')
        files = params or [params_path(manifest_path, args, run)]
        net = build_member(recipe, args, classes, files[0], ctx)
    check_plain_output(recipe, args, net)
    # Without a manifest, the command that would train this network again.
    command = 'python %s %s' % (os.path.basename(str(script)), shlex.join(argv))
    return TrainedRun(net, recipe, args, list(files), command=command.strip(),
                      members=members)


def chosen_members(manifest, args, run):
    """How many DREML members the run chose (its best ensemble size)."""
    best = ((manifest or {}).get('summary') or {}).get('best_epochs')
    if not best:
        raise ExportError('a DREML export needs the run\'s manifest (its chosen ensemble '
                          'size), or the member files as --params')
    return int(best[run - 1])


def from_manifest(manifest_path, params=None, run=1, ctx=mx.cpu()):
    """The :class:`TrainedRun` of a finished run's manifest, with its command, git revision
    and test metrics."""
    manifest = read_manifest(manifest_path, required=('invocation', 'script_file', 'argv'))
    if manifest.get('status') != 'finished':
        raise ExportError('%s: the run is %s, not finished; export a finished run'
                          % (manifest_path, manifest.get('status') or 'of unknown status'))
    script = manifest['script_file']
    if not os.path.isabs(script):
        script = os.path.join(manifest.get('cwd') or '.', script)
    if not os.path.isfile(script):
        # A manifest copied from elsewhere: the toolkit's own script of that name.
        script = os.path.join(REPOSITORY, os.path.basename(script))
    trained = rebuild(script, manifest['argv'][1:], params, manifest, manifest_path, run, ctx)
    trained.command, trained.git = manifest.get('command', ''), manifest.get('git')
    trained.test_metrics = test_metrics(manifest_path, manifest, run)
    return trained


# The repository's root, where the train_*.py scripts live.
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_metrics(manifest_path, manifest, run):
    """The run's test metrics at its chosen epoch (its `run` record's ``best``: the test
    split's scores, also when the validation split chose the epoch)."""
    path = jsonl_path(manifest_path, manifest)
    if not os.path.isfile(path):
        return {}
    records = [r for r in read_records(path, 'run', manifest['invocation'])
               if r.get('run') == run]
    return records[-1].get('best', {}) if records else {}
