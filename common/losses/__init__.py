"""Loss blocks: pure, hybridizable computations over (embeddings, labels).

Each is called as ``loss(embeddings, labels)`` and returns a scalar; its
module documents the formula and the reduction. Losses with parameters
(proxies, margin beta) hold them as Gluon parameters of the block.
"""
from .binomial import BinomialDevianceLoss
from .contrastive import ContrastiveLoss
from .direction import DirectionRegularizedTripletLoss, dr_cosine
from .discriminative import DiscriminativeLoss, discriminative_scale
from .facility_location import FacilityLocationLoss
from .hphn_ee import HPHNTripletLoss
from .lifted import LiftedStructLoss
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

__all__ = ['AngularLoss', 'BinomialDevianceLoss', 'ContrastiveLoss',
           'DirectionRegularizedTripletLoss', 'DiscriminativeLoss', 'FacilityLocationLoss',
           'HPHNTripletLoss', 'LiftedStructLoss', 'MarginLoss', 'MultiSimilarityLoss', 'NCALoss',
           'NPairLoss', 'NormalizedSoftmaxLoss', 'PrototypeLoss', 'ProxyNCALoss',
           'ProxyTripletLoss', 'ProxyXentropyLoss', 'RankedListLoss',
           'StochasticSymmetricTripletLoss', 'TripletSemiHardLoss', 'WeightedSum', 'dr_cosine',
           'discriminative_scale']
