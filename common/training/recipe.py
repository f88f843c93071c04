"""The recipe of an algorithm: what a root ``train_*.py`` script declares.

A script subclasses :class:`Recipe` and states its options and defaults, its
loss, head, sampler and parameter groups, and the hooks its algorithm needs;
``Recipe().main()`` hands it to a :class:`~common.training.runner.Runner`,
which does everything else. Each setting is one attribute (when it never
depends on the options) or one method of ``args`` (when it may), never both.
"""
import argparse
import sys

from ..cli import build_parser, check_args
from ..data.samplers import ClassBalancedBatchSampler, NPairBatchSampler, ShuffledBatchSampler
from ..models import PLAYGROUND_HEAD_INIT, EmbeddingHead
from .optim import ParamGroup
from .runner import Runner


class Recipe:
    """Base of every algorithm's recipe; override what is specific to the algorithm."""
    name = None                  # log and checkpoint names: train_<name>.log, <name>_model
    description = None
    runner = Runner              # what runs an invocation (an ensemble has its own)
    defaults = {}                # parser defaults (batch size, epochs, lr, schedule, ...)
    last_batch = 'rollover'      # shuffled batches: what happens to the last, smaller one
    class_fill = 'classes'       # P x K batches: 'classes' fills around a small class with
    #                              further classes, 'replace' draws it with replacement
    head_normalize = False       # the default head: L2-normalised output
    head_bias = True             # the default head: a bias in its linear layer
    lr_required = True           # False: --lr may be left out (groups with their own rates)
    epsilon = 1e-7               # Adam epsilon
    clip_gradient = 10.0         # None for no clipping
    # The playground meant ResNet's convolutions to learn 100x slower than the rest; most of
    # its scripts lost the setting when they rebuilt the backbone (spec 9.1 #4). Here it holds.
    conv_lr_mult = {'resnet50_v2': 0.01}
    # The loss parameters the script offers as options (common.loss_options.LossOptions):
    # declared by the loss, checked with the other options, built by build_loss.
    loss_options = ()
    # An option that picks the loss among several (common.loss_options.LossChoice): added,
    # checked, its defaults derived and the chosen loss built here. Its ``options`` are
    # then the script's ``loss_options``.
    loss_choice = None

    # --- options --------------------------------------------------------------------------
    def add_options(self, parser):
        """Add the algorithm's own options."""

    def check_options(self, parser, args):
        """Validate the options (never change them); report problems with ``parser.error``."""
        if self.lr_required and args.lr is None:
            parser.error('--lr is required')

    def derived_options(self, args):
        """Options whose value follows from others (e.g. an ensemble's embedding size), as
        a dict; they replace the parsed values and are recorded as such."""
        return {}

    def logfile(self, args):
        return args.logfile

    def search_space(self, args):
        """What ``python -m common.tools.tune`` searches by default: {option dest: a
        :mod:`common.search_space` range}, the learning rate and the one to three
        parameters that define the loss, over ranges that span the published values
        (``args``: the options the study trains with, e.g. the loss chosen). Empty: the
        script has none, and a study needs ``--space FILE``."""
        return {}

    # --- what is built --------------------------------------------------------------------
    def build_loss(self, args, dataset):
        """The loss block; by default the loss ``loss_choice`` picks, or the one loss of
        ``loss_options``, with those options."""
        if self.loss_choice is not None:
            return self.loss_choice.build(args)
        if len(self.loss_options) != 1:
            raise NotImplementedError('%s: build_loss builds a loss from several or no '
                                      'LossOptions' % type(self).__name__)
        return self.loss_options[0].build(args)

    def build_head(self, args, dataset):
        """The (uninitialised) block between the backbone's features and the embedding."""
        return EmbeddingHead(args.embed_dim, normalize=self.head_normalize,
                             use_bias=self.head_bias)

    def head_initializer(self, args):
        return PLAYGROUND_HEAD_INIT

    def head_lr_mult(self, args):
        """Learning-rate multiplier of the embedding head relative to the backbone."""
        return 1.0

    def configure_net(self, args, net):
        """Adjust learning-rate multipliers or freeze layers of a freshly built network."""
        mult = self.conv_lr_mult.get(args.model)
        if mult is not None:
            net.backbone.collect_params('.*conv.*').setattr('lr_mult', mult)
        if self.head_lr_mult(args) != 1:
            net.head.collect_params().setattr('lr_mult', self.head_lr_mult(args))

    def gradient_divisor(self, args, batch):
        """``n`` in ``trainer.step(n)``: the gradient applied is that of loss / n.
        ``batch`` is the run's :class:`~common.training.run_setup.BatchSize`."""
        return 1

    def parameter_groups(self, args, net, loss, batch):
        params = net.collect_params()
        params.update(loss.collect_params())
        return [ParamGroup(params, args.optimizer, args.lr, args.wd,
                           divisor=self.gradient_divisor(args, batch),
                           options={'epsilon': self.epsilon, 'clip_gradient': self.clip_gradient})]

    # --- data -----------------------------------------------------------------------------
    def sampler_kind(self, args):
        """'shuffled', 'class_balanced' (P x K), 'npair', or the recipe's own sampler's name."""
        return 'shuffled'

    def make_sampler(self, args, split, batch, seed):
        """The batch sampler of one run: ``batch.total`` images a step over all devices."""
        kind = self.sampler_kind(args)
        if kind == 'shuffled':
            return ShuffledBatchSampler(len(split), min(batch.total, len(split)), seed,
                                        self.last_batch)
        if kind == 'class_balanced':
            return ClassBalancedBatchSampler(split.labels, batch.total, args.batch_k,
                                             self.epoch_batches(args, split, batch), seed,
                                             fill=self.class_fill)
        if kind == 'npair':
            if batch.per_device % 2:
                raise ValueError('--batch-size %d must be even: it holds N anchors and N '
                                 'positives' % batch.per_device)
            return NPairBatchSampler(split.labels, batch.per_device // 2, args.epoch_length,
                                     args.same_image_sampling, seed, groups=batch.devices)
        raise ValueError('unknown sampler %r' % kind)

    def epoch_batches(self, args, split, batch):
        """P x K batches in an epoch."""
        return args.iteration_per_epoch

    def train_resize(self, args):
        """Side (at 224 px) to force-resize training images to before cropping, or None."""
        return None

    # --- evaluation -----------------------------------------------------------------------
    def evaluation_metric(self, args):
        """'euclidean' or 'cosine' distance for retrieval and clustering."""
        return 'euclidean'

    def test_embeddings(self, args, embeddings):
        """What is evaluated, given the network's test-time embeddings (numpy)."""
        return embeddings

    # --- hooks of the training loop ------------------------------------------------------
    def forward(self, state, data):
        """Embeddings of one device's slice of the batch."""
        return state.net(data)

    def on_epoch_start(self, state):
        """Called before each epoch's training (e.g. to rebuild a sampler)."""

    def on_epoch_end(self, state, loss):
        """Called after each epoch's training with its mean loss; a non-empty string stops
        the run after this epoch's evaluation (the string says why)."""
        return None

    def lr_scale(self, state):
        """Factor applied on top of the step schedule (e.g. by a plateau rule)."""
        return 1.0

    # --- entry points ---------------------------------------------------------------------
    def parser(self):
        defaults = dict(logfile='train_%s.log' % self.name,
                        save_model_prefix='%s_model' % self.name)
        defaults.update(self.defaults)
        parser = build_parser(self.description or (self.__doc__ or '').strip(), defaults)
        self.add_options(parser)
        if self.loss_choice is not None:
            self.loss_choice.add_to(parser)
        group = parser.add_argument_group('loss') if self.loss_options else None
        for options in self.loss_options:
            options.add_to(group)
        return parser

    def parse_args(self, argv=None):
        """The checked options of ``argv`` (default: the command line), derived ones set."""
        parser = self.parser()
        args = check_args(parser, parser.parse_args(sys.argv[1:] if argv is None else argv))
        self.check_options(parser, args)
        derived = self.derived_options(args)
        if self.loss_choice is not None:
            self.loss_choice.check(parser, args)
            derived.update(self.loss_choice.derived(args))
        for options in self.loss_options:
            options.check(parser, args)
        return argparse.Namespace(**dict(vars(args), **derived))

    def main(self, argv=None):
        """Run the command line ``argv`` (default: this process's) as the script does."""
        return self.runner(self).main(argv)


def load_recipe(script):
    """The recipe of a root ``train_*.py`` script (a path or its module name), instantiated."""
    import importlib
    import inspect
    import os
    name = os.path.splitext(os.path.basename(str(script)))[0]
    folder = os.path.dirname(os.path.abspath(str(script))) if str(script).endswith('.py') \
        else None
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)
    module = importlib.import_module(name)
    recipes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Recipe) and c.__module__ == module.__name__]
    if len(recipes) != 1:
        raise ValueError('%s: a training script defines one recipe (a Recipe subclass); '
                         'found %d' % (script, len(recipes)))
    return recipes[0]()
