"""Proxy-based losses: ProxyNCA, proxy cross-entropy and proxy-triplet (--loss).

L2-normalised 64-d embedding and one learnable proxy per class, with the DML
playground's separate learning rates for the backbone, the embedding layer
and the proxies, Adam with epsilon 1e-2, and shuffled batches of 32 (or P x K
batches with --iteration-per-epoch > 0). The cross-entropy variant takes the
softmax over -distance (the playground used +distance).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.cli import add_class_balanced_options
from common.losses import ProxyNCALoss, ProxyTripletLoss, ProxyXentropyLoss
from common.models.initializers import NormalScaled, TruncNorm, xavier
from common.records import with_postfix
from common.training import TrainingScript
from common.training.optim import split_groups

LOSSES = {'nca': ProxyNCALoss, 'xentropy': ProxyXentropyLoss, 'triplet': ProxyTripletLoss}
XAVIER = xavier(0.2)


class Proxy(TrainingScript):
    """Proxy-based deep metric learning."""
    name = 'proxy'
    defaults = dict(batch_size=32, epochs=20, lr=None, factor=0.1, wd=5e-4, steps='3,10,16')
    head_normalize = True

    def add_options(self, parser):
        parser.add_argument('--loss', choices=sorted(LOSSES), default='triplet',
                            help='nca: ProxyNCA; xentropy: proxy softmax; triplet: proxy-triplet')
        parser.add_argument('--epsilon', type=float, default=1e-2, help='Adam epsilon')
        parser.add_argument('--lr-inception', type=float, default=1e-3,
                            help='learning rate of the backbone (unless --lr is given)')
        parser.add_argument('--lr-embedding', type=float, default=1e-5,
                            help='learning rate of the embedding layer (unless --lr is given)')
        parser.add_argument('--lr-proxynca', type=float, default=1e-3,
                            help='learning rate of the proxies (unless --lr is given)')
        parser.add_argument('--embedding-multiplier', type=float, default=3.0,
                            help='scale s of embeddings and proxies (nca, xentropy)')
        parser.add_argument('--temperature', type=float, default=1.0,
                            help='distances are divided by it (nca, xentropy)')
        parser.add_argument('--label-smooth', type=float, default=0.0,
                            help='label smoothing (nca, xentropy)')
        add_class_balanced_options(parser, batch_k=5, iterations=0)

    def check_args(self, parser, args):
        if args.iteration_per_epoch < 0:
            parser.error('--iteration-per-epoch must be >= 0 (0: shuffled batches)')

    def logfile(self, args):
        return with_postfix(args.logfile, args.loss)  # train_proxy_<loss>.log, as the playground

    def sampler_kind(self, args):
        return 'class_balanced' if args.iteration_per_epoch > 0 else 'shuffled'

    def transform_resize(self, args):
        return 256 if args.iteration_per_epoch > 0 else None  # the playground's iterator path

    def head_initializer(self, args):
        return XAVIER if args.loss == 'triplet' else TruncNorm(0.001)

    def build_loss(self, args, dataset):
        kwargs = dict(proxy_init=XAVIER if args.loss == 'triplet' else NormalScaled(8))
        if args.loss != 'triplet':
            kwargs.update(scale=args.embedding_multiplier, temperature=args.temperature,
                          smoothing=args.label_smooth)
        return LOSSES[args.loss](dataset.train.num_classes, args.embed_dim, **kwargs)

    def parameter_groups(self, args, net, loss, batch_size):
        lrs = ((args.lr,) * 3 if args.lr else
               (args.lr_inception, args.lr_embedding, args.lr_proxynca))
        return split_groups(args, net, loss, lrs,
                            options={'epsilon': args.epsilon, 'clip_gradient': self.clip_gradient})


if __name__ == '__main__':
    Proxy().main()
