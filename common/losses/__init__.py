"""Loss blocks: pure, hybridizable computations over (embeddings, labels)."""
from .triplet_semihard import TripletSemiHardLoss

__all__ = ['TripletSemiHardLoss']
