"""LoOp: optimal hard negatives on the hypersphere (Vasudeva et al., ICCV 2021).

Each batch's consecutive same-class images pair up, and each pair spans the
minor great-circle arc between its two embeddings. For two pairs of different
classes LoOp finds the closest points of their arcs exactly; the point on the
other class's arc is the "optimal hard negative", and its distance d* replaces
the negative distance in the loss chosen by ``--loss``: HPHN triplet (the
default), triplet, lifted structure or multi-similarity (see
common/losses/loop_losses.py for the formulas). Embedding Expansion
(train_hphn_ee.py) samples points on segments of the same arcs; LoOp is its
continuous limit.

The official code's defaults: GoogLeNet, 512-d L2-normalised embedding, 227 px,
P x K batches of 4 classes x 32 images, Adam 1e-4 with weight decay 5e-4,
margin 1e-5 (HPHN), the learning rate halved at "epochs" 10/20/40/80 of C x K
images, 5000 epochs, evaluation every 50.
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossChoice
from common.losses import (
    LoOpHPHNTripletLoss,
    LoOpLiftedLoss,
    LoOpMultiSimilarityLoss,
    LoOpTripletLoss,
)
from common.records import with_postfix
from common.training.recipes import PairedBlocksRecipe

HINGE = ('hphn-triplet', 'triplet', 'lifted')
# One --margin for the three hinge losses (the official code's), the MS values for ms.
MARGIN = LossChoice.unset(LoOpHPHNTripletLoss, ['margin'], HINGE)
MULTI_SIMILARITY = LossChoice.unset(LoOpMultiSimilarityLoss, ['alpha', 'beta', 'base', 'epsilon'],
                                    ['ms'])
LOSS = LossChoice('--loss', {'hphn-triplet': (MARGIN, LoOpHPHNTripletLoss, {}),
                             'triplet': (MARGIN, LoOpTripletLoss, {}),
                             'lifted': (MARGIN, LoOpLiftedLoss, {}),
                             'ms': (MULTI_SIMILARITY, None, {})},
                  default='hphn-triplet', help_text='the loss the optimal hard negatives go into: '
                  'HPHN triplet, triplet, lifted structure or multi-similarity')


class LoOp(PairedBlocksRecipe):
    """LoOp: the closest points of two classes' arcs as hard negatives."""
    name = 'loop'
    defaults = dict(PairedBlocksRecipe.defaults, epochs=5000, steps='10,20,40,80',
                    eval_every=50)
    loss_choice = LOSS
    loss_options = LOSS.options

    def logfile(self, args):
        return with_postfix(args.logfile, args.loss)


if __name__ == '__main__':
    LoOp().main()
