"""Ranked list loss (Wang et al., CVPR 2019), as in the DML playground.

L2-normalised 64-d embedding learned 10x faster than Inception-BN, P x K
batches (60 classes x 3 images), negative boundary alpha, positive boundary
alpha - margin, negatives weighted by exp(T (alpha - d)).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import RankedListLoss
from common.models import EmbeddingHead
from common.search_space import log_uniform, uniform
from common.training.recipes import ClassBalancedRecipe


def layer_sizes(text):
    return tuple(int(v) for v in text.split(',') if v.strip())


class RankedList(ClassBalancedRecipe):
    """Ranked list loss."""
    name = 'rankedlist'
    defaults = dict(batch_size=180, epochs=60, lr=1e-4, factor=0.5, wd=1e-5, steps='20,30,40')
    batch_k = 3
    head_bias = False

    loss_options = (LossOptions(RankedListLoss, ['alpha', 'margin', 'temperature',
                                                 'detach_weights']),)

    def search_space(self, args):
        # Wang et al.: alpha 1.2, margin 0.4, T 10 on CUB (their ablations: 0.8-1.4, 0.2-0.6,
        # 0-20).
        return dict(lr=log_uniform(1e-6, 1e-3), alpha=uniform(0.8, 1.6),
                    margin=uniform(0.1, 0.8), temperature=uniform(1.0, 20.0))

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--bottleneck-layers', default='',
                            help='comma-separated sizes of linear layers before the embedding')

    def check_options(self, parser, args):
        super().check_options(parser, args)
        try:
            layer_sizes(args.bottleneck_layers)
        except ValueError:
            parser.error('--bottleneck-layers %r: expected sizes such as 512,256'
                         % args.bottleneck_layers)

    def build_head(self, args, dataset):
        return EmbeddingHead(args.embed_dim, normalize=self.head_normalize,
                             use_bias=self.head_bias,
                             hidden_units=layer_sizes(args.bottleneck_layers))

    def head_lr_mult(self, args):
        return 10.0 if args.model == 'inception-bn' else 1.0

    def configure_net(self, args, net):
        super().configure_net(args, net)
        if args.model.startswith('resnet'):  # the playground froze ResNet's batch norms here
            net.backbone.collect_params('.*batchnorm.*').setattr('grad_req', 'null')



if __name__ == '__main__':
    RankedList().main()
