"""Proxy-based losses: ProxyNCA, proxy cross-entropy and proxy-triplet (--loss).

L2-normalised 64-d embedding and one learnable proxy per class, with the DML
playground's separate learning rates for the backbone, the embedding layer
and the proxies, Adam with epsilon 1e-2, and shuffled batches of 32 (or P x K
batches with --iteration-per-epoch > 0). The cross-entropy variant takes the
softmax over -distance (the playground used +distance).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.cli import add_class_balanced_options
from common.records import with_postfix
from common.search_space import log_uniform, uniform
from common.training import Recipe
from common.training.optim import split_groups
from common.training.proxy_options import (
    PROXY_OPTIONS,
    add_proxy_loss_options,
    build_proxy_loss,
    proxy_head_init,
)
from common.training.recipes import ShuffledOrClassBalanced


class Proxy(ShuffledOrClassBalanced, Recipe):
    """Proxy-based deep metric learning."""
    name = 'proxy'
    defaults = dict(batch_size=32, epochs=20, lr=None, factor=0.1, wd=5e-4, steps='3,10,16')
    head_normalize = True
    lr_required = False  # without --lr the three groups have their own rates
    loss_options = (PROXY_OPTIONS,)

    def add_options(self, parser):
        add_proxy_loss_options(parser, loss='triplet')
        parser.add_argument('--lr-inception', type=float, default=1e-3,
                            help='learning rate of the backbone (unless --lr is given)')
        parser.add_argument('--lr-embedding', type=float, default=1e-5,
                            help='learning rate of the embedding layer (unless --lr is given)')
        parser.add_argument('--lr-proxynca', type=float, default=1e-3,
                            help='learning rate of the proxies (unless --lr is given)')
        add_class_balanced_options(parser, batch_k=5, iterations=0)

    def search_space(self, args):
        # The playground's group rates (backbone 1e-3, proxies 1e-3) at the centre; ProxyNCA's
        # scale 3 (Movshovitz-Attias et al.) to ProxyNCA++'s 1/T = 9; proxy-triplet has none.
        space = dict(lr_inception=log_uniform(1e-5, 1e-2), lr_proxynca=log_uniform(1e-4, 1e-1))
        if args.loss != 'triplet':
            space['embedding_multiplier'] = uniform(1.0, 10.0)
        return space

    def logfile(self, args):
        return with_postfix(args.logfile, args.loss)  # train_proxy_<loss>.log, as the playground

    def head_initializer(self, args):
        return proxy_head_init(args)

    def build_loss(self, args, dataset):
        return build_proxy_loss(args, dataset.train.num_classes, args.embed_dim)

    def parameter_groups(self, args, net, loss, batch):
        lrs = ((args.lr,) * 3 if args.lr else
               (args.lr_inception, args.lr_embedding, args.lr_proxynca))
        return split_groups(args, net, loss, lrs,
                            options={'epsilon': args.epsilon, 'clip_gradient': self.clip_gradient})


if __name__ == '__main__':
    Proxy().main()
