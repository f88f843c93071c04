"""The one place where a training script is put together and run.

A root ``train_*.py`` subclasses :class:`TrainingScript`, states its
options, defaults, head, loss and sampler, and calls ``main()``. Everything
else (data, backbone, loop, evaluation, records, runs) happens here.
"""
import os
import signal
import sys
import time
import warnings

import numpy as np

from ..cli import build_parser, check_args
from ..context import get_contexts, seed_everything
from ..data import DatasetError, get_dataset
from ..data.decode import ImageReadError
from ..data.loader import eval_loader, train_loader
from ..data.samplers import ClassBalancedBatchSampler, NPairBatchSampler, ShuffledBatchSampler
from ..data.transforms import EvalTransform, Normalize, TrainTransform
from ..evaluation import EvaluationWarning, evaluate
from ..io import OutputError, check_writable_dir, storage_error_message
from ..models import (
    PLAYGROUND_HEAD_INIT,
    EmbeddingHead,
    PretrainedWeightsError,
    backbone_spec,
    bn_mode,
    build_embedding_net,
    freeze_batchnorm,
    get_backbone,
)
from ..records import (
    Recorder,
    command_line,
    disabled,
    environment,
    new_invocation_id,
    with_postfix,
)
from .checkpoint import ResumeError, TrainingState, resumable_config
from .distributed import GradientReducer, ShardedBatches, Workers, connect
from .embed import extract_embeddings
from .faults import RecordedBatches
from .loop import NonFiniteError, RunResult, RunState, fit, format_metrics
from .optim import ParamGroup, make_trainer
from .precision import enable_amp, init_trainers
from .schedule import parse_steps
from .summary import format_summary, summarize

# Errors that mean "the input is wrong", reported as one line rather than a traceback.
USER_ERRORS = (DatasetError, PretrainedWeightsError, NonFiniteError, ImageReadError, ResumeError,
               OutputError, ValueError)


def terminate_as_interrupt(pid):
    """A SIGTERM handler for process ``pid``: there it unwinds like ^C. Data-loader workers
    forked from it inherit the handler, and their pool stops them with SIGTERM: they must
    then die at once, as SIGTERM means (raising inside a worker can leave the pool waiting
    for it forever)."""
    def handler(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt('SIGTERM')
    handler.default_in_children = True
    return handler


def _default_sigterm_after_fork():
    """A forked worker gets SIGTERM's default action back: a Python handler runs only in
    the main thread, and a worker blocked there on its task queue while MXNet's threads
    take the signal would never run it (seen: a pool waiting forever to join its workers)."""
    if getattr(signal.getsignal(signal.SIGTERM), 'default_in_children', False):
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:  # not the main thread; the handler's pid check still applies
            pass


os.register_at_fork(after_in_child=_default_sigterm_after_fork)


def _record_end(rec, manifest, status, error):
    """Say in the records how the invocation ended, if the disk still takes it (a full
    disk must not hide the error that is being reported)."""
    try:
        rec.write('error', message=error)
        rec.write_manifest(dict(manifest, status=status, error=error,
                                ended=time.strftime('%Y-%m-%dT%H:%M:%S')))
    except OSError:
        pass


class Evaluator:
    """Embeds the evaluation split(s) with a network and scores the embeddings.

    Called with a network it returns the metrics; ``embed`` and ``score`` do
    the two halves (an ensemble scores the concatenation of its members).
    """

    def __init__(self, loaders, contexts, options, postprocess=None):
        self.loaders, self.contexts, self.options = loaders, contexts, options
        self.postprocess = postprocess or (lambda e: e)
        self.last_embedded = None  # what the last call scored: [(embeddings, labels)] per split
        self.last_notes = []  # why a metric of the last call is NaN or degenerate

    def embed(self, net):
        """One (embeddings, labels) pair per split: test, or query and gallery."""
        return [extract_embeddings(net, loader, self.contexts) for loader in self.loaders]

    def score(self, embedded):
        embedded = [(self.postprocess(e), y) for e, y in embedded]
        self.last_embedded = embedded
        gallery = embedded[1] if len(embedded) > 1 else (None, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', EvaluationWarning)
            metrics = evaluate(embedded[0][0], embedded[0][1], gallery_embeddings=gallery[0],
                               gallery_labels=gallery[1], **self.options)
        # Why a metric is NaN or degenerate goes into the records with the metrics.
        self.last_notes = [str(w.message) for w in caught
                           if issubclass(w.category, EvaluationWarning)]
        for w in caught:
            if not issubclass(w.category, EvaluationWarning):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        return metrics

    def __call__(self, net):
        return self.score(self.embed(net))


class TrainingScript:
    """Base of every algorithm's script; override what is specific to the algorithm."""
    name = None                  # log and checkpoint names: train_<name>.log, <name>_model
    description = None
    defaults = {}                # parser defaults (batch size, epochs, lr, schedule, ...)
    sampler = 'shuffled'         # 'class_balanced' (needs --batch-k, --iteration-per-epoch) or
    #                              'npair' (needs --epoch-length, --same-image-sampling)
    last_batch = 'rollover'
    train_resize = None          # force-resize to this many pixels (at 224 px) before cropping
    head_normalize = False
    head_bias = True
    head_init = PLAYGROUND_HEAD_INIT
    epsilon = 1e-7               # Adam epsilon
    clip_gradient = 10.0         # None for no clipping
    eval_metric = 'euclidean'
    # The playground meant ResNet's convolutions to learn 100x slower than the rest; most of
    # its scripts lost the setting when they rebuilt the backbone (spec 9.1 #4). Here it holds.
    conv_lr_mult = {'resnet50_v2': 0.01}

    # --- the algorithm-specific parts -------------------------------------------------
    def add_options(self, parser):
        """Add the script's own options."""

    def build_loss(self, args, dataset):
        raise NotImplementedError

    def gradient_divisor(self, args, batch_size):
        """``n`` in ``trainer.step(n)``: the gradient applied is that of loss / n."""
        return 1

    def forward(self, state, data):
        """Embeddings of one device's slice of the batch."""
        return state.net(data)

    def compute_loss(self, state, embeddings, labels):
        return state.loss(embeddings, labels)

    def head_hidden_units(self, args):
        """Sizes of extra linear layers between the backbone and the embedding."""
        return ()

    def head_initializer(self, args):
        return self.head_init

    def build_head(self, args, dataset):
        """The (uninitialised) block between the backbone's features and the embedding."""
        return EmbeddingHead(args.embed_dim, normalize=self.head_normalize,
                             use_bias=self.head_bias, hidden_units=self.head_hidden_units(args))

    def transform_resize(self, args):
        """Side (at 224 px) to force-resize training images to before cropping, or None."""
        return self.train_resize

    def logfile(self, args):
        return args.logfile

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

    def parameter_groups(self, args, net, loss, batch_size):
        params = net.collect_params()
        params.update(loss.collect_params())
        return [ParamGroup(params, args.optimizer, args.lr, args.wd,
                           divisor=self.gradient_divisor(args, batch_size),
                           options={'epsilon': self.epsilon, 'clip_gradient': self.clip_gradient})]

    def sampler_kind(self, args):
        return self.sampler

    def make_sampler(self, args, split, batch_size, seed, devices=1):
        """Batch sampler for ``batch_size`` images over all ``devices``."""
        kind = self.sampler_kind(args)
        if kind == 'shuffled':
            return ShuffledBatchSampler(len(split), min(batch_size, len(split)), seed,
                                        self.last_batch)
        if kind == 'class_balanced':
            return ClassBalancedBatchSampler(split.labels, batch_size, args.batch_k,
                                             args.iteration_per_epoch, seed)
        if kind == 'npair':
            if args.batch_size % 2:
                raise ValueError('--batch-size %d must be even: it holds N anchors and N '
                                 'positives' % args.batch_size)
            return NPairBatchSampler(split.labels, args.batch_size // 2, args.epoch_length,
                                     args.same_image_sampling, seed, groups=devices)
        raise ValueError('unknown sampler %r' % kind)

    def on_epoch_start(self, state):
        """Called before each epoch's training (e.g. to rebuild a sampler)."""

    def on_epoch_end(self, state, loss):
        """Called after each epoch's training with its mean loss; a non-empty string stops
        the run after this epoch's evaluation (the string says why)."""
        return None

    def lr_scale(self, state):
        """Factor applied on top of the step schedule (e.g. by a plateau rule)."""
        return 1.0

    def evaluation_metric(self, args):
        """'euclidean' or 'cosine' distance for retrieval and clustering."""
        return self.eval_metric

    def test_embeddings(self, args, embeddings):
        """What is evaluated, given the network's test-time embeddings (numpy)."""
        return embeddings

    # --- the shared machinery ---------------------------------------------------------
    def embedding_loader(self, args, split, contexts):
        """Loader of a whole split with the test-time transform, for embedding it."""
        spec = backbone_spec(args.model)
        transform = EvalTransform(args.image_size, Normalize(spec.mean, spec.std))
        return eval_loader(split, transform, args.batch_size * len(contexts), args.num_workers,
                           args.use_crops)

    def parser(self):
        defaults = dict(logfile='train_%s.log' % self.name,
                        save_model_prefix='%s_model' % self.name)
        defaults.update(self.defaults)
        parser = build_parser(self.description or (self.__doc__ or '').strip(), defaults)
        self.add_options(parser)
        return parser

    def parse_args(self, argv=None):
        parser = self.parser()
        self.argv = list(sys.argv[1:] if argv is None else argv)  # for the manifest
        args = check_args(parser, parser.parse_args(self.argv))
        self.check_args(parser, args)
        return args

    def check_args(self, parser, args):
        """Validate the script's own options; report problems with ``parser.error``."""
        if args.lr is None:
            parser.error('--lr is required')

    workers = Workers()          # this process's place among distributed workers

    def main(self, argv=None):
        args = self.parse_args(argv)
        # A polite kill (a scheduler's SIGTERM) unwinds like ^C, so the manifest says
        # "interrupted" and the saved state waits for --resume.
        previous = signal.signal(signal.SIGTERM, terminate_as_interrupt(os.getpid()))
        try:
            return self.run(args)
        except USER_ERRORS as e:
            if os.environ.get('DML_DEBUG'):
                raise
            sys.stderr.write('%s: error: %s\n' % (os.path.basename(sys.argv[0]), e))
            sys.exit(1)
        except OSError as e:
            message = storage_error_message(e)
            if message is None or os.environ.get('DML_DEBUG'):
                raise
            sys.stderr.write('%s: error: %s\n' % (os.path.basename(sys.argv[0]), message))
            sys.exit(1)
        except KeyboardInterrupt as e:
            sys.stderr.write('%s: interrupted (%s); rerun the command with --resume to continue\n'
                             % (os.path.basename(sys.argv[0]), e or 'SIGINT'))
            sys.exit(130)
        finally:
            signal.signal(signal.SIGTERM, previous)  # main() may be called from other code

    def script_file(self):
        path = getattr(sys.modules.get(type(self).__module__), '__file__', None) or \
            'train_%s.py' % self.name
        relative = os.path.relpath(path)
        return path if relative.startswith('..') else relative

    def log_stem(self, args):
        """``<results-dir>/<log name without extension>``, also when log files are off."""
        name = self.logfile(args)
        name = 'train_%s.log' % self.name if disabled(name) else str(name)
        path = with_postfix(name, args.log_postfix)
        path = path if os.path.isabs(path) else os.path.join(args.results_dir, path)
        return os.path.splitext(path)[0]

    def state_config(self, args):
        """The options a saved training state must match to be resumed."""
        return resumable_config(args)

    def run(self, args):
        """All runs of one invocation; returns the summary dict."""
        self.workers = connect(args.kvstore)
        if self.workers.rank > 0:  # worker 0 writes the records; the others keep theirs apart
            args.results_dir = os.path.join(args.results_dir, 'worker%d' % self.workers.rank)
        check_writable_dir(args.results_dir)
        state = None
        if args.checkpoint_every:
            parser = self.parser()
            defaults = resumable_config(type(args)(**{k: parser.get_default(k)
                                                      for k in vars(args)}))
            state = TrainingState(self.log_stem(args) + '.state', self.state_config(args),
                                  args.resume, new_invocation_id(), defaults)
        rec = Recorder(args.results_dir, self.logfile(args), args.log_postfix,
                       invocation=state.invocation if state else None)
        argv = [self.script_file()] + list(getattr(self, 'argv', []))
        manifest = dict(script=self.name, script_file=argv[0], command=command_line(argv),
                        argv=argv, cwd=os.getcwd(), args=vars(args), status='running',
                        started=time.strftime('%Y-%m-%dT%H:%M:%S'),
                        selection='validation' if args.val_classes else 'test',
                        batchnorm=bn_mode(args.frozen_bn, args.frozen_bn_affine),
                        seeds=[args.seed + r for r in range(args.number_of_runs)],
                        workers=dict(kind=self.workers.kind, rank=self.workers.rank,
                                     count=self.workers.count), **environment())
        try:
            rec.info('%s', args)
            rec.write('config', script=self.name, argv=argv, args=vars(args),
                      batchnorm=manifest['batchnorm'],
                      resumed=bool(state and state.finished_runs) or None, **environment())
            rec.write_manifest(manifest)
            try:
                summary = self._run(args, rec, state, manifest)
            except USER_ERRORS as e:
                _record_end(rec, manifest, 'failed', str(e))
                raise
            except BaseException as e:  # a kill, ^C, a full disk or a bug: the state stays
                _record_end(rec, manifest, 'interrupted', storage_error_message(e) or repr(e))
                raise
            rec.write_manifest(dict(manifest, status='finished', summary=summary,
                                    finished=time.strftime('%Y-%m-%dT%H:%M:%S')))
            if state is not None:
                state.remove()
            return summary
        finally:
            rec.close()

    def _run(self, args, rec, training_state=None, manifest=None):
        contexts = get_contexts(args.gpus)
        rec.info('Devices: %s', ', '.join(str(c) for c in contexts))
        dataset = get_dataset(args.dataset, args.data_path, args.use_crops, args.folder_split,
                              num_classes=args.num_classes)
        if args.val_classes:
            dataset = dataset.with_validation(args.val_classes)
        rec.info('Training with %d classes (%d images), validating with %s',
                 dataset.train.num_classes, len(dataset.train),
                 ' and '.join('%s: %d classes (%d images)' % (s.name, s.num_classes, len(s))
                              for s in [dataset.validation] + dataset.eval_splits if s))
        rec.info('The best epoch is chosen on the %s split',
                 'validation' if args.val_classes else 'test')
        self.check_class_sizes(args, rec, dataset.train)
        if manifest is not None:
            manifest['dataset'] = {'name': dataset.name, 'splits': dataset.split_counts()}
            manifest['devices'] = [str(c) for c in contexts]
            if dataset.validation is not None:
                manifest['dataset']['validation_classes'] = dataset.validation.class_names
            rec.write_manifest(manifest)
        spec = backbone_spec(args.model)
        normalize = Normalize(spec.mean, spec.std)
        options = dict(recall_ks=dataset.recall_ks, compute_nmi=args.nmi,
                       metric=self.evaluation_metric(args))
        evaluators = self.evaluators(args, dataset, contexts, options)

        resize = self.transform_resize(args)
        area = args.min_crop_area or dataset.min_crop_area
        rec.info('Training crops keep %.0f-100 %% of the image area%s', 100 * area,
                 ' after resizing to %d px (at 224)' % resize if resize else '')
        train_transform = TrainTransform(
            args.image_size, normalize,
            int(round(resize * args.image_size / 224)) if resize else None, (area, 1.0))
        steps = parse_steps(args.steps, args.epochs)
        rec.info('Learning rate x%g at epochs %s' % (args.factor, steps) if steps
                 else 'No learning rate decay')
        results = []
        finished = training_state.finished_runs if training_state else []
        for run in range(1, args.number_of_runs + 1):
            if run <= len(finished):
                results.append(RunResult(**finished[run - 1]))
                rec.info('Run %d restored from %s', run, training_state.folder)
                continue
            result = self._run_once(args, rec, run, contexts, dataset, train_transform,
                                    evaluators, steps, training_state)
            results.append(result)
            if args.save_embeddings:
                self.save_embeddings(args, rec, run, dataset, result)
            if training_state is not None:
                training_state.finish_run(
                    {k: v for k, v in vars(result).items() if k != 'best_embedded'})
        summary = summarize(results)
        rec.info('%s', format_summary(summary))
        rec.write('summary', **summary)
        return summary

    def check_class_sizes(self, args, rec, split):
        """Metric learning needs positives: refuse a training split without a class of two
        images, and say how many one-image classes a P x K batch must fill around."""
        sizes = np.bincount(np.asarray(split.labels))
        single = int(np.sum(sizes == 1))
        if single == len(sizes[sizes > 0]):
            raise DatasetError('the training split has %d classes of one image each: metric '
                               'learning needs classes with at least two images (check the '
                               'dataset folder or --folder-split)' % single)
        if single:
            rec.info('Note: %d of the %d training classes have a single image; they give no '
                     'positive pair%s', single, len(sizes), ' (P x K batches take them whole '
                     'and add further classes)' if self.sampler_kind(args) == 'class_balanced'
                     else '')

    def evaluators(self, args, dataset, contexts, options):
        """(selection, test): the evaluator that picks the best epoch, and the one that
        scores it on the test split afterwards (None when the test split picks it)."""
        def evaluator(splits, evaluation_options):
            return Evaluator([self.embedding_loader(args, s, contexts) for s in splits],
                             contexts, evaluation_options, lambda e: self.test_embeddings(args, e))

        test = evaluator(dataset.eval_splits, options)
        if dataset.validation is None:
            return test, None
        # A small validation split cannot retrieve more neighbours than it has images.
        ks = tuple(k for k in options['recall_ks'] if k < len(dataset.validation)) or (1,)
        return evaluator([dataset.validation], dict(options, recall_ks=ks)), test

    def _run_once(self, args, rec, run, contexts, dataset, transform, evaluators, steps,
                  training_state=None):
        seed = args.seed + run - 1
        rec.info('Starting run %d/%d (seed %d)', run, args.number_of_runs, seed)
        seed_everything(seed)
        result = self.train_network(args, rec, run, seed, contexts, dataset, transform,
                                    evaluators, steps, self.checkpoint_path(args, run),
                                    training_state=training_state)[1]
        rec.info('Run %d finished: best R@1 %.2f at epoch %d (chosen on the %s split); last '
                 'epoch %s', run, result.best['R@1'], result.best_epoch, result.selection,
                 format_metrics(result.last))
        rec.write('run', run=run, seed=seed, best_epoch=result.best_epoch, best=result.best,
                  last=result.last, pretrain=result.pretrain, selection=result.selection,
                  selected=result.selected)
        return result

    def embeddings_path(self, args, run):
        stem = self.log_stem(args)
        return '%s%s_embeddings.npz' % (stem, '_run%d' % run if args.number_of_runs > 1 else '')

    def save_embeddings(self, args, rec, run, dataset, result):
        """The selected epoch's evaluated embeddings with labels and image paths."""
        if result.best_embedded is None:
            return
        splits = dataset.eval_splits
        (embeddings, labels), rest = result.best_embedded[0], result.best_embedded[1:]
        gallery = None
        if rest:
            gallery = (rest[0][0], rest[0][1], splits[1].paths)
        from ..evaluation.embeddings_file import save_embeddings
        path = self.embeddings_path(args, run)
        save_embeddings(path, embeddings, labels, splits[0].paths, self.evaluation_metric(args),
                        class_names=splits[0].class_names, gallery=gallery)
        rec.info('Saved the test embeddings of the chosen epoch to %s', path)

    def train_network(self, args, rec, run, seed, contexts, dataset, transform, evaluators,
                      steps, save_path, tags=None, training_state=None):
        """Build a fresh network, loss, sampler and optimisers and train them;
        returns (state, :class:`RunResult`). ``evaluators`` is (selection, test or None),
        or one evaluation function; ``tags`` go into every epoch record."""
        select, test = evaluators if isinstance(evaluators, tuple) else (evaluators, None)
        amp = enable_amp(contexts) if args.amp else None  # before the network is built
        backbone, _ = get_backbone(args.model, pretrained=not args.no_pretrained,
                                   weights=args.pretrained, ctx=contexts)
        net = build_embedding_net(backbone, None, init=self.head_initializer(args), ctx=contexts,
                                  head=self.build_head(args, dataset))
        self.configure_net(args, net)
        if args.frozen_bn:  # before hybridizing: a cached graph keeps the mode it was built in
            frozen = freeze_batchnorm(net.backbone, affine=args.frozen_bn_affine)
            rec.info('Backbone BatchNorm frozen: %d layers use their moving statistics%s%s',
                     len(frozen), ', gamma and beta too' if args.frozen_bn_affine
                     else '; gamma and beta train', ' (with --no-pretrained those are 0 and 1: '
                     'the layers normalise nothing)' if args.no_pretrained else '')
        loss = self.build_loss(args, dataset)
        loss.initialize(ctx=contexts)
        if not args.disable_hybridize:
            # Static memory and shapes: ~1.1x the plain hybridize() per step on CPU
            # (bench/README.md); a batch of another shape (the last one) just binds again.
            net.hybridize(static_alloc=True, static_shape=True)
            loss.hybridize(static_alloc=True, static_shape=True)
        # Every worker of a distributed run counts as more devices: the batch is theirs together.
        workers = self.workers
        devices = len(contexts) * workers.count
        batch_size = args.batch_size * devices
        if self.sampler_kind(args) == 'shuffled' and batch_size > len(dataset.train):
            rec.info('Warning: --batch-size %d (x %d devices) exceeds the %d training images; '
                     'batches hold all of them', args.batch_size, devices, len(dataset.train))
        sampler = self.make_sampler(args, dataset.train, batch_size, seed, devices)
        shard = ShardedBatches(sampler, workers.rank, workers.count) if workers.distributed \
            else sampler
        batches = RecordedBatches(shard)
        loader = train_loader(dataset.train, transform, batches, args.num_workers, args.use_crops)
        groups = self.parameter_groups(args, net, loss, batch_size)
        # Across workers the reducer sums the gradients; the trainers then update locally.
        kvstore = None if workers.distributed else args.kvstore
        trainers = [make_trainer(g, kvstore) for g in groups]
        init_trainers(trainers, amp)
        state = RunState(args, run, net, loss, contexts, dataset, sampler, rec, trainers, groups,
                         seed=seed, tags=dict(tags or {}), batches=batches,
                         fault_dir=self.log_stem(args) + '.nonfinite', kvstore=kvstore,
                         reducer=GradientReducer(workers, groups) if workers.distributed
                         else None, amp=amp)
        return state, fit(state, self, loader, select, steps, save_path, training_state, test,
                          keep_embeddings=args.save_embeddings)

    def checkpoint_path(self, args, run):
        if disabled(args.save_model_prefix):
            return None
        prefix = args.save_model_prefix
        if args.number_of_runs > 1:
            prefix = '%s_run%d' % (prefix, run)
        path = prefix + '.params'
        if not os.path.isabs(path):
            path = os.path.join(args.results_dir, path)
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        return path
