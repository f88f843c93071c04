"""Direction Regularization (Mohan et al., CVPR 2020) on triplet, ProxyNCA or multi-similarity.

DR adds gamma * cos(angle) to each negative's distance, so that negatives are
not pushed into the positive's cluster; the angle is phi (between n - a and
p - a, as the public reproductions) or theta (between n - c and a - p, c the
anchor-positive midpoint, the paper's figure). No official code exists; the
defaults are the reproduction that corresponded with the authors (gamma 0.3,
phi). L2-normalised 64-d embedding, P x K batches of 16 classes x 5 images.
The loss is computed so that degenerate triplets (anchor on its positive,
embedding on its proxy) carry no regularisation instead of dividing by zero.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import (
    MULTI_SIMILARITY,
    LossOptions,
    add_official_switch,
    multi_similarity_values,
)
from common.losses import DirectionRegularizedTripletLoss, DirectionRegularizer, ProxyNCALoss
from common.models.initializers import NormalScaled
from common.records import with_postfix
from common.search_space import log_uniform, uniform
from common.training.optim import split_groups
from common.training.recipes import ClassBalancedRecipe

# The regulariser's weight, angle and sign.
DIRECTION = LossOptions(DirectionRegularizer, ['gamma', 'angle', 'sign'])


class DirectionRegularization(ClassBalancedRecipe):
    """Direction Regularization."""
    name = 'dr'

    loss_options = (
        DIRECTION,
        LossOptions(DirectionRegularizedTripletLoss, ['margin']),
        MULTI_SIMILARITY,
        LossOptions(ProxyNCALoss, ['scale', 'temperature'], helps={
            'scale': 'ProxyNCA scale of embeddings and proxies',
            'temperature': 'ProxyNCA temperature'}))

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--loss', choices=['triplet', 'proxynca', 'ms'], default='triplet',
                            help='the loss DR is added to')
        add_official_switch(parser)
        parser.add_argument('--lr-proxy', type=float, default=None,
                            help='learning rate of the proxies (default: 100 x --lr)')

    def search_space(self, args):
        # Mohan et al.'s gamma 0.3 (their ablation 0.1-0.5), with the base loss's own
        # parameter: the triplet margin 0.2, MS's alpha 2 / beta 40-50, ProxyNCA's scale 3.
        space = dict(lr=log_uniform(1e-6, 1e-3), gamma=uniform(0.05, 0.6))
        space.update({'triplet': dict(margin=uniform(0.05, 0.5)),
                      'ms': dict(ms_beta=uniform(10.0, 60.0)),
                      'proxynca': dict(embedding_multiplier=uniform(1.0, 10.0))}[args.loss])
        return space

    def logfile(self, args):
        return with_postfix(args.logfile, args.loss)

    def positive_slots(self, args):
        """Most positives an anchor can have in one batch (None: no bound, the full cube).

        ClassBalancedBatchSampler draws each class at most once per batch and at most K
        distinct images of it (fewer for a small class), so an anchor has at most K - 1
        positives, on one device or split across several. The loss turns an overflow
        into NaN, which the training loop stops on.
        """
        if self.sampler_kind(args) != 'class_balanced':
            return None
        return max(args.batch_k - 1, 1)

    def build_loss(self, args, dataset):
        direction, triplet, multi_similarity, proxy_nca = self.loss_options
        dr = direction.build(args)
        if args.loss == 'triplet':
            # B x (K - 1) x B triplet terms instead of B x B x B; same value and gradient.
            return triplet.build(args, direction=dr, positive_slots=self.positive_slots(args))
        if args.loss == 'proxynca':
            return proxy_nca.build(args, dataset.train.num_classes, args.embed_dim, direction=dr,
                                   proxy_init=NormalScaled(8))
        return multi_similarity.build(args, direction=dr, **multi_similarity_values(args))

    def parameter_groups(self, args, net, loss, batch):
        if args.loss != 'proxynca':
            return super().parameter_groups(args, net, loss, batch)
        lr_proxy = args.lr_proxy or 100 * args.lr
        return split_groups(args, net, loss, (args.lr, args.lr, lr_proxy),
                            options={'epsilon': self.epsilon})


if __name__ == '__main__':
    DirectionRegularization().main()
