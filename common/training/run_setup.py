"""Putting a run together from a recipe and its options.

:func:`prepare_data` does what an invocation needs once: the dataset (with
its validation split), the training transform and the evaluators.
:func:`build_run` builds what each run starts afresh: the network, the loss,
the batch sampler and loader, and the optimisers, as a
:class:`~common.training.loop.RunState`.
"""
from dataclasses import dataclass

import numpy as np

from ..data import DatasetError, get_dataset
from ..data.loader import eval_loader, train_loader
from ..data.transforms import EvalTransform, Normalize, TrainTransform
from ..evaluation.evaluator import Evaluator
from ..models import backbone_spec, build_embedding_net, freeze_batchnorm, get_backbone
from .distributed import GradientReducer, ShardedBatches
from .embed import extract_embeddings
from .faults import FaultLog
from .loop import RunState
from .optim import make_trainer
from .precision import enable_amp, init_trainers


@dataclass(frozen=True)
class BatchSize:
    """``--batch-size`` is per device; a step takes ``total`` images over all devices (the
    devices of every worker of a distributed run)."""
    per_device: int
    devices: int = 1

    @property
    def total(self):
        return self.per_device * self.devices


@dataclass
class RunData:
    """What every run of an invocation shares."""
    dataset: object
    transform: object           # the training transform
    select: object              # the evaluator that picks the best epoch
    test: object = None         # the one that scores it on the test split (None: select does)


def prepare_data(recipe, args, rec, contexts):
    """The dataset, logged and checked, the training transform and the evaluators."""
    dataset = get_dataset(args.dataset, args.data_path, args.use_crops, args.folder_split,
                          num_classes=args.num_classes)
    if args.val_classes:
        dataset = dataset.with_validation(args.val_classes)
    elif args.val_fold:
        dataset = dataset.with_validation_fold(*args.val_fold)
    rec.info('Training with %d classes (%d images), validating with %s',
             dataset.train.num_classes, len(dataset.train),
             ' and '.join('%s: %d classes (%d images)' % (s.name, s.num_classes, len(s))
                          for s in [dataset.validation] + dataset.eval_splits if s))
    rec.info('The best epoch is chosen on the %s split',
             'validation' if dataset.validation is not None else 'test')
    check_class_sizes(recipe.sampler_kind(args), rec, dataset.train)
    spec = backbone_spec(args.model)
    normalize = Normalize(spec.mean, spec.std)
    resize = recipe.train_resize(args)
    area = args.min_crop_area or dataset.min_crop_area
    # The recipe gives its resize at 224 px crops; other sizes keep the same ratio.
    resized = int(round(resize * args.image_size / 224)) if resize else None
    rec.info('Training crops keep %.0f-100 %% of the image area%s', 100 * area,
             ' after resizing to %d px (%d at 224)' % (resized, resize) if resize else '')
    transform = TrainTransform(args.image_size, normalize, resized, (area, 1.0))
    select, test = evaluators(recipe, args, dataset, contexts)
    return RunData(dataset, transform, select, test)


def check_class_sizes(sampler_kind, rec, split):
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
                 'and add further classes)' if sampler_kind == 'class_balanced' else '')


def embedding_loader(args, split, contexts):
    """Loader of a whole split with the test-time transform, for embedding it."""
    spec = backbone_spec(args.model)
    transform = EvalTransform(args.image_size, Normalize(spec.mean, spec.std))
    return eval_loader(split, transform, args.batch_size * len(contexts), args.num_workers,
                       args.use_crops)


def evaluators(recipe, args, dataset, contexts):
    """(selection, test): the evaluator that picks the best epoch, and the one that scores
    it on the test split afterwards (None when the test split picks it)."""
    options = dict(recall_ks=dataset.recall_ks, compute_nmi=args.nmi,
                   metric=recipe.evaluation_metric(args))

    def embedder(split):
        loader = embedding_loader(args, split, contexts)
        return lambda net: extract_embeddings(net, loader, contexts)

    def evaluator(splits, evaluation_options):
        return Evaluator([embedder(s) for s in splits], evaluation_options,
                         lambda e: recipe.test_embeddings(args, e))

    test = evaluator(dataset.eval_splits, options)
    if dataset.validation is None:
        return test, None
    # A small validation split cannot retrieve more neighbours than it has images.
    ks = tuple(k for k in options['recall_ks'] if k < len(dataset.validation)) or (1,)
    return evaluator([dataset.validation], dict(options, recall_ks=ks)), test


def build_network(recipe, args, rec, dataset, contexts):
    """A fresh network (pretrained backbone, initialised head) and loss, hybridized."""
    backbone, _ = get_backbone(args.model, pretrained=not args.no_pretrained,
                               weights=args.pretrained, ctx=contexts)
    net = build_embedding_net(backbone, None, init=recipe.head_initializer(args), ctx=contexts,
                              head=recipe.build_head(args, dataset))
    recipe.configure_net(args, net)
    if args.frozen_bn:  # before hybridizing: a cached graph keeps the mode it was built in
        frozen = freeze_batchnorm(net.backbone, affine=args.frozen_bn_affine)
        rec.info('Backbone BatchNorm frozen: %d layers use their moving statistics%s%s',
                 len(frozen), ', gamma and beta too' if args.frozen_bn_affine
                 else '; gamma and beta train', ' (with --no-pretrained those are 0 and 1: '
                 'the layers normalise nothing)' if args.no_pretrained else '')
    loss = recipe.build_loss(args, dataset)
    loss.initialize(ctx=contexts)
    if not args.disable_hybridize:
        # Static memory and shapes: ~1.1x the plain hybridize() per step on CPU
        # (bench/README.md); a batch of another shape (the last one) just binds again.
        net.hybridize(static_alloc=True, static_shape=True)
        loss.hybridize(static_alloc=True, static_shape=True)
    return net, loss


def build_run(recipe, args, rec, run, seed, contexts, dataset, transform, workers, fault_dir,
              tags=None):
    """Everything one run trains with, as a RunState (before its first epoch)."""
    amp = enable_amp(contexts) if args.amp else None  # before the network is built
    net, loss = build_network(recipe, args, rec, dataset, contexts)
    # Every worker of a distributed run counts as more devices: the batch is theirs together.
    batch = BatchSize(args.batch_size, len(contexts) * workers.count)
    if recipe.sampler_kind(args) == 'shuffled' and batch.total > len(dataset.train):
        rec.info('Warning: --batch-size %d (x %d devices) exceeds the %d training images; '
                 'batches hold all of them', batch.per_device, batch.devices, len(dataset.train))
    sampler = recipe.make_sampler(args, dataset.train, batch, seed)
    shard = ShardedBatches(sampler, workers.rank, workers.count) if workers.distributed \
        else sampler
    faults = FaultLog(shard, fault_dir)
    loader = train_loader(dataset.train, transform, faults.batches, args.num_workers,
                          args.use_crops)
    groups = recipe.parameter_groups(args, net, loss, batch)
    # Across workers the reducer sums the gradients; the trainers then update locally.
    kvstore = None if workers.distributed else args.kvstore
    trainers = [make_trainer(g, kvstore) for g in groups]
    init_trainers(trainers, amp)
    state = RunState(args, run, net, loss, contexts, dataset, sampler, rec, trainers, groups,
                     seed=seed, tags=dict(tags or {}), faults=faults, kvstore=kvstore,
                     reducer=GradientReducer(workers, groups) if workers.distributed
                     else None, amp=amp)
    return state, loader
