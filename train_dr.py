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
from common.cli import add_multi_similarity_options, multi_similarity_kwargs
from common.losses import (
    DirectionRegularizedTripletLoss,
    DirectionRegularizer,
    MultiSimilarityLoss,
    ProxyNCALoss,
)
from common.models.initializers import NormalScaled
from common.records import with_postfix
from common.training.optim import split_groups
from common.training.recipes import ClassBalancedRecipe


class DirectionRegularization(ClassBalancedRecipe):
    """Direction Regularization."""
    name = 'dr'

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument('--loss', choices=['triplet', 'proxynca', 'ms'], default='triplet',
                            help='the loss DR is added to')
        parser.add_argument('--gamma', type=float, default=0.3,
                            help='weight of the direction regulariser (0: the plain loss)')
        parser.add_argument('--dr-angle', choices=['phi', 'theta'], default='phi',
                            help='phi: angle(n - a, p - a); theta: angle(n - c, a - p)')
        parser.add_argument('--dr-sign', type=float, choices=[1.0, -1.0], default=1.0,
                            help='sign convention of the regulariser')
        parser.add_argument('--margin', type=float, default=0.2, help='triplet margin')
        add_multi_similarity_options(parser)
        parser.add_argument('--embedding-multiplier', type=float, default=3.0,
                            help='ProxyNCA scale of embeddings and proxies')
        parser.add_argument('--temperature', type=float, default=1.0, help='ProxyNCA temperature')
        parser.add_argument('--lr-proxy', type=float, default=None,
                            help='learning rate of the proxies (default: 100 x --lr)')

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
        dr = DirectionRegularizer(args.gamma, args.dr_angle, args.dr_sign)
        if args.loss == 'triplet':
            # B x (K - 1) x B triplet terms instead of B x B x B; same value and gradient.
            return DirectionRegularizedTripletLoss(args.margin, direction=dr,
                                                   positive_slots=self.positive_slots(args))
        if args.loss == 'proxynca':
            return ProxyNCALoss(dataset.train.num_classes, args.embed_dim, direction=dr,
                                scale=args.embedding_multiplier, temperature=args.temperature,
                                proxy_init=NormalScaled(8))
        return MultiSimilarityLoss(**multi_similarity_kwargs(args), direction=dr)

    def parameter_groups(self, args, net, loss, batch):
        if args.loss != 'proxynca':
            return super().parameter_groups(args, net, loss, batch)
        lr_proxy = args.lr_proxy or 100 * args.lr
        return split_groups(args, net, loss, (args.lr, args.lr, lr_proxy),
                            options={'epsilon': self.epsilon})


if __name__ == '__main__':
    DirectionRegularization().main()
