"""Neighbourhood components analysis over the batch (Goldberger et al., 2004).

L2-normalised 64-d embedding, P x K batches of 16 classes x 5 images; each
image should pick a same-class neighbour under softmax(-scale * d^2).
"""
import common  # noqa: F401  (sets up threads before MXNet loads)
from common.loss_options import LossOptions
from common.losses import NCALoss
from common.training.recipes import ClassBalancedRecipe


class NCA(ClassBalancedRecipe):
    """NCA loss."""
    name = 'nca'

    loss_options = (LossOptions(NCALoss, ['scale'], defaults={'scale': 8.0}),)


if __name__ == '__main__':
    NCA().main()
