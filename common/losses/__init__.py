"""Loss blocks: pure, hybridizable computations over (embeddings, labels).

Each is called as ``loss(embeddings, labels)`` and returns a scalar; its
module documents the formula and the reduction. Losses with parameters
(proxies, margin beta) hold them as Gluon parameters of the block.

The parts, in the manner of pytorch-metric-learning: ``distances`` (Euclidean,
squared Euclidean, cosine), ``masks`` (label masks, masked min/max/log-sum-exp),
``reductions`` (Sum, Mean, MeanNonZero, MeanOverBatch; per anchor with ``axis=1``),
``base.PairwiseLoss`` (distance + masks + a formula + a reduction), ``direction``
(Direction Regularization, a modifier of negative distances), ``loop`` (LoOp's
closest points of two arcs, used by ``loop_losses``), ``sorted_search``
(``count_reached``) and ``distance_weighted`` (the margin loss's sampler).
"""
from .base import PairwiseLoss
from .binomial import BinomialDevianceLoss
from .contrastive import ContrastiveLoss
from .direction import DirectionRegularizer, dr_cosine
from .discriminative import DiscriminativeLoss, discriminative_scale
from .distance_weighted import DistanceWeightedSampler
from .dr_triplet import DirectionRegularizedTripletLoss
from .facility_location import FacilityLocationLoss
from .hphn_ee import HPHNTripletLoss
from .lifted import DeepMetricLiftedLoss, GeneralizedLiftedLoss, LiftedStructLoss
from .loop_losses import (
    LoOpHPHNTripletLoss,
    LoOpLiftedLoss,
    LoOpMultiSimilarityLoss,
    LoOpTripletLoss,
)
from .margin import MarginLoss
from .multi_similarity import MultiSimilarityLoss
from .nca import NCALoss
from .npair import AngularLoss, NPairLoss, WeightedSum
from .prototype import PrototypeLoss
from .proxies import (
    NormalizedSoftmaxLoss,
    ProxyNCALoss,
    ProxyTripletLoss,
    ProxyXentropyLoss,
)
from .ranked_list import RankedListLoss
from .sst import StochasticSymmetricTripletLoss
from .triplet_semihard import TripletSemiHardLoss

__all__ = ['AngularLoss', 'BinomialDevianceLoss', 'ContrastiveLoss', 'DeepMetricLiftedLoss',
           'DirectionRegularizer', 'DirectionRegularizedTripletLoss', 'DiscriminativeLoss',
           'DistanceWeightedSampler', 'FacilityLocationLoss', 'GeneralizedLiftedLoss',
           'HPHNTripletLoss', 'LiftedStructLoss', 'LoOpHPHNTripletLoss', 'LoOpLiftedLoss',
           'LoOpMultiSimilarityLoss', 'LoOpTripletLoss', 'MarginLoss',
           'MultiSimilarityLoss', 'NCALoss', 'NPairLoss', 'NormalizedSoftmaxLoss',
           'PairwiseLoss', 'PrototypeLoss', 'ProxyNCALoss', 'ProxyTripletLoss',
           'ProxyXentropyLoss', 'RankedListLoss', 'StochasticSymmetricTripletLoss',
           'TripletSemiHardLoss', 'WeightedSum', 'dr_cosine', 'discriminative_scale']
