"""Loss blocks: pure, hybridizable computations over (embeddings, labels).

Each is called as ``loss(embeddings, labels)`` and returns a scalar; its
module documents the formula and the reduction. Losses with parameters
(proxies, margin beta) hold them as Gluon parameters of the block.
"""
from .binomial import BinomialDevianceLoss
from .contrastive import ContrastiveLoss
from .direction import DirectionRegularizedTripletLoss, dr_cosine
from .hphn_ee import HPHNTripletLoss
from .lifted import LiftedStructLoss
from .margin import MarginLoss
from .multi_similarity import MultiSimilarityLoss
from .nca import NCALoss
from .npair import AngularLoss, NPairLoss, WeightedSum
from .proxies import ProxyNCALoss, ProxyTripletLoss, ProxyXentropyLoss
from .ranked_list import RankedListLoss
from .sst import StochasticSymmetricTripletLoss
from .triplet_semihard import TripletSemiHardLoss

__all__ = ['AngularLoss', 'BinomialDevianceLoss', 'ContrastiveLoss',
           'DirectionRegularizedTripletLoss', 'HPHNTripletLoss', 'LiftedStructLoss', 'MarginLoss',
           'MultiSimilarityLoss', 'NCALoss', 'NPairLoss', 'ProxyNCALoss', 'ProxyTripletLoss',
           'ProxyXentropyLoss', 'RankedListLoss', 'StochasticSymmetricTripletLoss',
           'TripletSemiHardLoss', 'WeightedSum', 'dr_cosine']
