"""Loss blocks: pure, hybridizable computations over (embeddings, labels).

Each is called as ``loss(embeddings, labels)`` and returns a scalar; its
module documents the formula and the reduction. Losses with parameters
(proxies, margin beta) hold them as Gluon parameters of the block.
"""
from .direction import DirectionRegularizedTripletLoss, dr_cosine
from .hphn_ee import HPHNTripletLoss
from .margin import MarginLoss
from .multi_similarity import MultiSimilarityLoss
from .npair import AngularLoss, NPairLoss, WeightedSum
from .proxies import ProxyNCALoss, ProxyTripletLoss, ProxyXentropyLoss
from .ranked_list import RankedListLoss
from .triplet_semihard import TripletSemiHardLoss

__all__ = ['AngularLoss', 'DirectionRegularizedTripletLoss', 'HPHNTripletLoss', 'MarginLoss',
           'MultiSimilarityLoss', 'NPairLoss', 'ProxyNCALoss', 'ProxyTripletLoss',
           'ProxyXentropyLoss', 'RankedListLoss', 'TripletSemiHardLoss', 'WeightedSum',
           'dr_cosine']
