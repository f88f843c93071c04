"""NormSoftmax ("classification is a strong baseline", Zhai and Wu 2019): normalised proxy
softmax, as in the DML playground's train_normproxy.

LayerNorm over the backbone features, a weight-normalised bias-free layer to
2048-d, dropout and L2 normalisation; one L2-normalised proxy per class (or
fixed one-hot proxies with --static-proxies); cross-entropy over
cos / temperature with label smoothing. The first --warmup-epochs epochs
train only the head and the proxies; then the optimiser restarts over all
parameters. Adam (epsilon 1e-2), clipping at 10, shuffled batches of 75 (or
P x K batches with --batch-k > 0).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.cli import add_class_balanced_options
from common.loss_options import LossOptions
from common.losses import NormalizedSoftmaxLoss
from common.models import backbone_spec
from common.models.initializers import NormalScaled, TruncNorm, xavier
from common.models.norm_softmax_head import NormSoftmaxHead
from common.training import Recipe
from common.training.optim import ParamGroup, make_trainer


class NormProxy(Recipe):
    """Normalised softmax over class proxies (NormSoftmax)."""
    name = 'normproxy'
    defaults = dict(batch_size=75, epochs=30, lr=1e-3, factor=0.1, wd=1e-4, steps='15',
                    embed_dim=2048)
    loss_options = (LossOptions(NormalizedSoftmaxLoss,
                                ['temperature', 'smoothing', 'static_proxies']),)

    def add_options(self, parser):
        parser.add_argument('--epsilon', type=float, default=1e-2, help='Adam epsilon')
        parser.add_argument('--no-fc', action='store_true',
                            help='no linear layer: the embedding is the normalised features')
        parser.add_argument('--no-dropout', dest='dropout', action='store_false',
                            help='no dropout after the linear layer')
        parser.add_argument('--similarity', choices=('euclidean', 'cosine'), default='euclidean',
                            help='test-time distance')
        parser.add_argument('--binarize', action='store_true',
                            help='evaluate binary codes: test embeddings thresholded at > 0')
        parser.add_argument('--warmup-epochs', type=int, default=1,
                            help='epochs that train only the head and the proxies (the '
                                 'backbone stays fixed if this is >= --epochs)')
        add_class_balanced_options(parser, batch_k=0, iterations=0)

    def check_options(self, parser, args):
        super().check_options(parser, args)
        if args.batch_k < 0 or args.iteration_per_epoch < 0:
            parser.error('--batch-k and --iteration-per-epoch must be >= 0')
        if args.warmup_epochs < 0:
            parser.error('--warmup-epochs must be >= 0')

    def derived_options(self, args):
        # Without the linear layer the embedding is the backbone's features.
        return {'embed_dim': backbone_spec(args.model).feature_dim} if args.no_fc else {}

    def sampler_kind(self, args):
        return 'class_balanced' if args.batch_k > 0 else 'shuffled'

    def epoch_batches(self, args, split, batch):
        # By default as many P x K batches as one pass over the training images.
        return args.iteration_per_epoch or max(1, len(split) // batch.total)

    def train_resize(self, args):
        return 256 if args.batch_k > 0 else None  # the playground's iterator path

    def evaluation_metric(self, args):
        return args.similarity

    def test_embeddings(self, args, embeddings):
        return (embeddings > 0).astype(embeddings.dtype) if args.binarize else embeddings

    def head_initializer(self, args):
        return xavier(2) if args.model.startswith('resnet') else TruncNorm(0.001)

    def build_head(self, args, dataset):
        return NormSoftmaxHead(args.embed_dim, use_fc=not args.no_fc,
                               dropout=0.5 if args.dropout else 0)

    def build_loss(self, args, dataset):
        return self.loss_options[0].build(args, dataset.train.num_classes, args.embed_dim,
                                          proxy_init=NormalScaled(8))

    def parameter_groups(self, args, net, loss, batch):
        options = {'epsilon': args.epsilon, 'clip_gradient': self.clip_gradient}
        head = net.head.collect_params()
        head.update(loss.collect_params())
        return [ParamGroup(net.backbone.collect_params(), args.optimizer, args.lr, args.wd,
                           options=options, name='backbone', start_epoch=args.warmup_epochs + 1),
                ParamGroup(head, args.optimizer, args.lr, args.wd, options=options, name='head')]

    def on_epoch_start(self, state):
        if state.args.warmup_epochs and state.epoch == state.args.warmup_epochs + 1:
            # As the playground: a new optimiser over all parameters, with fresh Adam state.
            state.trainers[:] = [make_trainer(g, state.kvstore) for g in state.groups]
            state.recorder.info('Epoch %d: training all parameters from now on', state.epoch)


if __name__ == '__main__':
    NormProxy().main()
