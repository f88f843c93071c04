"""Backbone registry, in the manner of GluonCV's ``get_model``."""
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import mxnet as mx

IMAGENET_MEAN = (123.68, 116.779, 103.939)
IMAGENET_STD = (58.393, 57.12, 57.375)
# He initialisation for networks trained from scratch.
SCRATCH_INIT = mx.init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2)


@dataclass(frozen=True)
class BackboneSpec:
    """How to build a backbone and how its input must be scaled.

    ``build(weights, ctx)`` returns an initialised HybridBlock mapping images
    to ``feature_dim`` features; ``weights`` is a params path, or None for a
    random initialisation. ``default_weights()`` finds (or downloads) the
    pretrained file, raising a clear error when that is impossible.
    """
    name: str
    build: Callable
    feature_dim: int
    mean: Tuple[float, float, float]
    std: Optional[Tuple[float, float, float]]
    default_weights: Optional[Callable] = None
    description: str = ''


_REGISTRY = {}


def register(spec):
    _REGISTRY[spec.name] = spec
    return spec


def list_backbones():
    return sorted(_REGISTRY)


def backbone_spec(name):
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError('--model %s: unknown backbone; choose one of %s'
                         % (name, ', '.join(list_backbones())))


def get_backbone(name, pretrained=True, weights=None, ctx=mx.cpu()):
    """Build backbone ``name``; ``weights`` (a path) overrides the default pretrained file."""
    spec = backbone_spec(name)
    if weights is None and pretrained:
        if spec.default_weights is None:
            raise ValueError('--model %s has no pretrained weights; pass --no-pretrained' % name)
        weights = spec.default_weights()
    return spec.build(weights, ctx), spec
