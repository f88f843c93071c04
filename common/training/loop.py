"""The training loop, written once for every algorithm.

Per epoch: re-seed the global generators, set each group's learning rate
from the step schedule, call the script's epoch hook, train over the
sampler's batches (split across the devices), evaluate, track the best
epoch by R@1 (strictly greater, so ties keep the earliest, as in the
playground), save the network at each new best and save the state for a
resume. The best epoch is chosen on the test split (the playground's way)
or on a class-disjoint validation split, the test split then being
evaluated once.
"""
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import mxnet as mx
from mxnet import autograd
from tqdm import tqdm

from ..context import seed_everything
from ..io import save_mxnet_file
from . import precision
from .embed import split_batch
from .optim import trained_params
from .schedule import lr_at_epoch


class NonFiniteError(RuntimeError):
    """Training produced NaN or infinity."""


@dataclass
class RunState:
    """What hooks may look at during one run. The loop advances ``epoch``; hooks may keep
    what must survive a resume in ``extra`` and anything else in ``cache``, and may replace
    ``trainers`` (a new optimiser); everything else is set when the run is built."""
    args: Any
    run: int
    net: Any
    loss: Any
    contexts: list
    dataset: Any
    sampler: Any
    recorder: Any
    trainers: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    epoch: int = 0
    seed: int = 0
    extra: Dict[str, Any] = field(default_factory=dict)    # saved with the checkpoints
    cache: Dict[str, Any] = field(default_factory=dict)    # rebuilt after a resume
    tags: Dict[str, Any] = field(default_factory=dict)  # added to every epoch record
    faults: Any = None       # a faults.FaultLog: the batches' keys, where faulty ones go
    kvstore: Any = 'device'  # what the trainers were built with (None: the reducer sums)
    reducer: Any = None      # a distributed.GradientReducer when several workers train
    amp: Optional[str] = None  # the low-precision type under --amp


@dataclass
class RunResult:
    run: int
    pretrain: Optional[dict]
    best_epoch: int
    best: dict
    last: dict
    history: List[dict]
    selection: str = 'test'          # the split the best epoch was chosen on
    selected: Optional[dict] = None  # validation metrics of the chosen epoch
    best_embedded: Any = None        # the evaluated embeddings of the chosen epoch, if kept


def format_metrics(metrics):
    return ', '.join('%s=%.2f' % (k, v) for k, v in metrics.items())


def all_finite(arrays):
    # multi_all_finite takes a bounded number of inputs; check in chunks.
    for start in range(0, len(arrays), 128):
        chunk = arrays[start:start + 128]
        ok = mx.nd.multi_all_finite(*chunk, num_arrays=len(chunk), init_output=True)
        if ok.asscalar() != 1:
            return False
    return True


def gradient_arrays(groups):
    """Every gradient buffer of the groups (the same buffers are reused each step)."""
    return [grad for param in trained_params(groups) for grad in param.list_grad()]


def float32(embeddings, amp):
    """Loss blocks compute in float32 whatever precision the network ran in."""
    return embeddings.astype('float32') if amp else embeddings


def train_epoch(state, loader, recipe, trainers, groups):
    """One pass over the loader; returns (mean batch loss, images seen, batches skipped).

    Groups whose ``start_epoch`` is still ahead get gradients but no update. A
    batch with a non-finite loss or gradient is written by ``state.faults`` (see
    :mod:`.faults`) and stops the run, or, with ``--on-nonfinite skip``, is left
    out (no update) and counted.
    """
    active = [(t, g) for t, g in zip(trainers, groups) if g.active(state.epoch)]
    skip = getattr(state.args, 'on_nonfinite', 'stop') == 'skip'
    total, batches, images, skipped = 0.0, 0, 0, 0
    grads = None  # known only after the first forward pass completes deferred initialisation
    desc = 'run %d epoch %d' % (state.run, state.epoch)
    for it, (data, labels) in enumerate(tqdm(loader, desc=desc, leave=False, file=sys.stderr,
                                             disable=None), 1):
        keys = state.faults.next_keys() if state.faults is not None else None
        parts = split_batch(data, state.contexts)
        label_parts = split_batch(labels, state.contexts)
        with autograd.record():
            losses = [state.loss(float32(recipe.forward(state, x), state.amp), y)
                      for x, y in zip(parts, label_parts)]
        precision.backward(losses, trainers, state.amp)
        grads = gradient_arrays(groups) if grads is None else grads
        value = sum(float(part.mean().asscalar()) for part in losses) / len(losses)
        if state.reducer is not None:  # every worker then sees the same gradients and loss
            value = state.reducer.reduce(value)
        problem = None
        if not math.isfinite(value):
            problem = 'the loss is %s' % value
        elif state.amp != 'float16' and not all_finite(grads):  # AMP skips float16 overflows
            problem = 'a gradient is NaN or infinite (loss %.4g)' % value
        if problem is not None:
            where = 'run %d, epoch %d, iteration %d' % (state.run, state.epoch, it)
            saved = state.faults.write(state, it, keys, problem, value, groups) \
                if state.faults is not None else ''
            if not skip:
                raise NonFiniteError('%s: %s; lower --lr, check the data, or rerun with '
                                     '--resume --on-nonfinite skip%s' % (where, problem, saved))
            skipped += 1
            state.recorder.info('Skipped the batch of %s: %s%s', where, problem, saved)
            state.recorder.write('skipped_batch', run=state.run, epoch=state.epoch,
                                 iteration=it, problem=problem,
                                 indices=[k[0] for k in keys] if keys else None)
            continue
        for trainer, group in active:
            trainer.step(group.divisor)
        total += value
        batches += 1
        images += data.shape[0]
    if batches == 0:
        if skipped:
            raise NonFiniteError('epoch %d: every one of its %d batches had a non-finite loss '
                                 'or gradient; lower --lr or check the data'
                                 % (state.epoch, skipped))
        raise ValueError('epoch %d had no batches: the training split is smaller than one batch'
                         % state.epoch)
    return total / batches, images, skipped


def evaluation_notes(evaluate_fn, rec):
    """Log why the last evaluation's metrics are NaN or degenerate; returns the record
    fields ({'notes': [...]} or {})."""
    notes = list(getattr(evaluate_fn, 'last_notes', None) or [])
    for note in notes:
        rec.info('Evaluation note: %s', note)
    return {'notes': notes} if notes else {}


def epoch_seed(seed, epoch):
    """The seed of the global generators for one epoch of a run (see :mod:`.checkpoint`)."""
    return (seed * 100003 + epoch) % 2 ** 31


def copy_weights(net):
    # MKLDNN re-lays out weights in place during a forward pass, and a read issued before
    # that has finished was seen to return a half-converted weight (bench_training_step).
    mx.nd.waitall()
    return {name: p.data(p.list_ctx()[0]).copy() for name, p in net.collect_params().items()}


def restore_weights(net, weights):
    for name, param in net.collect_params().items():
        param.set_data(weights[name])


def fit(state, recipe, loader, evaluate_fn, steps, save_path=None, checkpoint=None,
        test_fn=None, keep_embeddings=False):
    """Train one run with ``state.groups`` and ``state.trainers`` (the epoch hook may
    replace the trainers); returns a :class:`RunResult`.

    ``evaluate_fn`` scores each evaluated epoch and picks the best one. Without
    ``test_fn`` it is the test split (the playground's selection); with it, a
    validation split, and ``test_fn`` then scores the best epoch's weights once,
    at the end. ``checkpoint`` (a :class:`.checkpoint.TrainingState`) saves the
    state after epochs and restores it when the run was interrupted.
    """
    args, rec = state.args, state.recorder
    every = getattr(args, 'checkpoint_every', 1)
    # The split the per-epoch metrics come from, named in every epoch record.
    split = 'validation' if test_fn is not None else 'test'

    progress = checkpoint.load_epoch(state) if checkpoint is not None else None
    if progress is not None:
        pretrain, best, best_epoch = progress['pretrain'], progress['best'], progress['best_epoch']
        history, best_weights = progress['history'], progress['best_weights']
        best_embedded, metrics = progress['best_embedded'], progress['metrics']
        rec.info('Resuming run %d after epoch %d (best R@1 so far %s)', state.run, state.epoch,
                 '%.2f at epoch %d' % (best['R@1'], best_epoch) if best else 'none')
    else:
        pretrain, best, best_epoch, history = None, None, 0, []
        best_weights = best_embedded = metrics = None
        if not args.skip_pretrain_validation:
            pretrain = evaluate_fn(state.net)
            rec.info('Pre-train validation: %s', format_metrics(pretrain))
            rec.write('epoch', run=state.run, epoch=0, metrics=pretrain, split=split,
                      **state.tags, **evaluation_notes(evaluate_fn, rec))
            if args.epochs == 0:
                # Nothing to train: the untrained network is the run's result (a baseline).
                best = metrics = pretrain
                best_weights = copy_weights(state.net) if test_fn is not None else None
                if test_fn is None and keep_embeddings:
                    best_embedded = getattr(evaluate_fn, 'last_embedded', None)
    for epoch in range(state.epoch + 1, args.epochs + 1):
        state.epoch = epoch
        seed_everything(epoch_seed(state.seed, epoch))
        recipe.on_epoch_start(state)
        lrs = {}
        for trainer, group in zip(state.trainers, state.groups):
            trainer.set_learning_rate(lr_at_epoch(group.lr, epoch, steps, args.factor)
                                      * recipe.lr_scale(state))
            if group.active(epoch):
                lrs[group.name] = trainer.learning_rate
        start = time.time()
        loss_value, images, skipped = train_epoch(state, loader, recipe, state.trainers,
                                                  state.groups)
        train_time = time.time() - start
        stop = recipe.on_epoch_end(state, loss_value)
        speed = '[Epoch %d] lr=%s loss=%.4f (%.0f img/s)' % (
            epoch, ','.join('%.3g' % v for v in lrs.values()), loss_value,
            images / max(train_time, 1e-9))
        record = dict(run=state.run, epoch=epoch, **state.tags, lr=lrs, loss=loss_value,
                      train_seconds=round(train_time, 3), images=images)
        if skipped:
            speed += ' (%d non-finite batches skipped)' % skipped
            record['skipped_batches'] = skipped
        if epoch % args.eval_every == 0 or epoch == args.epochs or stop:
            metrics = evaluate_fn(state.net)
            rec.info('%s; validation: %s', speed, format_metrics(metrics))
            record.update(metrics=metrics, split=split, **evaluation_notes(evaluate_fn, rec))
            history.append(record)
            if best is None or metrics['R@1'] > best['R@1']:
                best, best_epoch = metrics, epoch
                rec.info('New best validation: R@1 %.2f%s', metrics['R@1'],
                         ', NMI %.2f' % metrics['NMI'] if 'NMI' in metrics else '')
                if test_fn is not None:
                    best_weights = copy_weights(state.net)
                elif keep_embeddings:
                    best_embedded = getattr(evaluate_fn, 'last_embedded', None)
                if save_path:
                    save_mxnet_file(save_path, state.net.save_parameters)
                    rec.info('Saved %s', save_path)
        else:
            rec.info('%s', speed)
        rec.write('epoch', **record)
        if stop:
            rec.info('Stopping after epoch %d: %s', epoch, stop)
            break
        if checkpoint is not None and every and epoch % every == 0 and epoch < args.epochs:
            checkpoint.save_epoch(state, dict(
                pretrain=pretrain, best=best, best_epoch=best_epoch, history=history,
                best_weights=best_weights, best_embedded=best_embedded, metrics=metrics))
    selected = None
    if test_fn is not None:
        restore_weights(state.net, best_weights)
        selected, best = best, test_fn(state.net)
        best_embedded = getattr(test_fn, 'last_embedded', None) if keep_embeddings else None
        rec.info('Test split at the epoch chosen on validation (%d): %s', best_epoch,
                 format_metrics(best))
        notes = evaluation_notes(test_fn, rec)
        if notes:
            rec.write('test_notes', run=state.run, epoch=best_epoch, **notes)
    return RunResult(state.run, pretrain, best_epoch, best, metrics, history,
                     selection='validation' if test_fn is not None else 'test',
                     selected=selected, best_embedded=best_embedded)
