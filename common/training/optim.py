"""Optimisers with the playground's semantics.

MXNet's optimisers add weight decay to the rescaled gradient (coupled L2)
and clip after rescaling; ``trainer.step(n)`` rescales by 1/n. Each
parameter group gets its own Gluon Trainer, base learning rate and
divisor ``n``, so that e.g. the margin loss's beta can have its own SGD.
"""
from dataclasses import dataclass, field

from mxnet import gluon

# Optimisers that take an epsilon; passing one to SGD would be an error.
_WITH_EPSILON = {'adam', 'nadam', 'adamax', 'rmsprop', 'adagrad', 'adadelta', 'ftml', 'lamb',
                 'adamw', 'lans'}
_WITH_MOMENTUM = {'sgd', 'nag', 'signum', 'lbsgd'}


@dataclass
class ParamGroup:
    """Parameters trained together: one optimiser, one base lr, one gradient divisor."""
    params: object
    optimizer: str
    lr: float
    wd: float
    divisor: float = 1.0
    options: dict = field(default_factory=dict)
    name: str = 'net'
    start_epoch: int = 1         # not updated before this epoch (e.g. a head-only warm-up)

    def active(self, epoch):
        return self.start_epoch <= epoch


def trained_params(groups):
    """The parameters of ``groups`` that receive gradients, in order (a group's params are
    a ParameterDict or a list)."""
    out = []
    for group in groups:
        params = group.params.values() if hasattr(group.params, 'values') else group.params
        out.extend(p for p in params if p.grad_req != 'null')
    return out


def optimizer_options(optimizer, wd, epsilon=None, clip_gradient=None, momentum=0.9, **extra):
    """Keyword arguments for an MXNet optimiser, dropping those it does not take."""
    options = {'wd': wd}
    if epsilon is not None and optimizer.lower() in _WITH_EPSILON:
        options['epsilon'] = epsilon
    if momentum is not None and optimizer.lower() in _WITH_MOMENTUM:
        options['momentum'] = momentum
    if clip_gradient is not None:
        options['clip_gradient'] = clip_gradient
    options.update(extra)
    return options


def make_trainer(group, kvstore):
    options = dict(optimizer_options(group.optimizer, group.wd, **group.options),
                   learning_rate=group.lr)
    try:
        return gluon.Trainer(group.params, group.optimizer, options, kvstore=kvstore)
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError('--optimizer %s: MXNet cannot build it with %s (%s)'
                         % (group.optimizer, sorted(options), e))


def split_groups(args, net, loss, lrs, divisor=1.0, options=None):
    """Separate groups, with their own learning rates, for the backbone, the embedding head
    and the loss's own parameters (proxies): ``lrs = (backbone, head, loss)``."""
    parts = (('backbone', net.backbone.collect_params()), ('head', net.head.collect_params()),
             ('loss', loss.collect_params()))
    return [ParamGroup(params, args.optimizer, lr, args.wd, divisor, dict(options or {}), name)
            for (name, params), lr in zip(parts, lrs) if list(params.keys())]
