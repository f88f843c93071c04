"""Deep randomized ensembles (DREML, Xuan et al., ECCV 2018), as in the DML playground.

-L members, each a fresh pretrained backbone with a -D-dimensional proxy head
trained (ProxyNCA by default) to tell apart D meta-classes, a random
grouping of the training classes drawn anew for each member. The test
embedding concatenates the members' L2-normalised embeddings (L x D
dimensions) and is compared by cosine distance. Members are trained one after
another; after each, the ensemble so far is evaluated. Finished members
(embeddings, and parameters unless --save-model-prefix is none) are kept in
<results-dir>/dreml_members/, and --resume continues an interrupted run from
there. Per member: 12 epochs, Adam (lr 0.01, epsilon 1e-2), decay x0.1 every
4 epochs, shuffled batches of 128, images force-resized to 246 (at 224 px).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.losses.softmax import SoftmaxCrossEntropyLoss
from common.models import PLAYGROUND_HEAD_INIT, EmbeddingHead
from common.training import Recipe
from common.training.ensemble import EnsembleRunner, meta_class_maps
from common.training.proxy_options import (
    PROXY_OPTIONS,
    add_proxy_loss_options,
    build_proxy_loss,
    proxy_head_init,
)


class DREML(Recipe):
    """Deep randomized ensembles over meta-classes."""
    name = 'dreml'
    runner = EnsembleRunner
    defaults = dict(batch_size=128, epochs=12, lr=0.01, factor=0.1, wd=5e-4, steps='-4')
    clip_gradient = None
    loss_options = (PROXY_OPTIONS,)

    def add_options(self, parser):
        add_proxy_loss_options(parser, loss='nca')
        parser.add_argument('-L', '--number-of-ensembles', type=int, default=48,
                            help='ensemble members')
        parser.add_argument('-D', '--meta-classes', type=int, default=12,
                            help='meta-classes per member (and its embedding dimension)')
        parser.add_argument('--static-proxies', action='store_true',
                            help='plain softmax over D unnormalised outputs instead of proxies')

    def check_options(self, parser, args):
        super().check_options(parser, args)
        if args.number_of_ensembles < 1:
            parser.error('-L/--number-of-ensembles must be at least 1')
        if args.meta_classes < 2:
            parser.error('-D/--meta-classes must be at least 2')

    def derived_options(self, args):
        # Members embed into D dimensions each; what is evaluated (and recorded) is the
        # ensemble's L x D.
        return {'embed_dim': args.meta_classes * args.number_of_ensembles}

    def train_resize(self, args):
        return 246

    def evaluation_metric(self, args):
        return 'cosine'

    def head_initializer(self, args):
        return PLAYGROUND_HEAD_INIT if args.static_proxies else proxy_head_init(args)

    def build_head(self, args, dataset):
        # Proxy members are L2-normalised; softmax members output raw logits.
        return EmbeddingHead(args.meta_classes, normalize=not args.static_proxies)

    def build_loss(self, args, dataset):
        if args.static_proxies:
            return SoftmaxCrossEntropyLoss(args.meta_classes, args.label_smooth)
        return build_proxy_loss(args, args.meta_classes, args.meta_classes)

    def member_train_splits(self, args, split, seed):
        """Each member's training split: the classes dealt into -D random meta-classes."""
        classes = split.num_classes
        if args.meta_classes > classes:
            raise ValueError('-D %d meta-classes, but the training split has only %d classes'
                             % (args.meta_classes, classes))
        names = ['meta-class %d' % d for d in range(args.meta_classes)]
        return [split.relabeled(groups[split.labels], names) for groups in
                meta_class_maps(classes, args.number_of_ensembles, args.meta_classes, seed)]


if __name__ == '__main__':
    DREML().main()
