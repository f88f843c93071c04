"""GluonCV ImageNet backbones (ResNet18-v2, ResNet50-v2, GoogLeNet), cut before their classifier."""
import os

from mxnet.gluon import HybridBlock, nn

from .pretrained import PretrainedWeightsError, check_exists, missing_message


class Trunk(HybridBlock):
    """A model's layers up to (not including) its classifier, then global pooling.

    Only the kept layers are children, so the classifier's parameters never
    reach the optimiser.
    """

    def __init__(self, layers, pool=True):
        super().__init__(prefix='')
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            self.body.add(*layers)
            if pool:
                self.body.add(nn.GlobalAvgPool2D(), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.body(x)


def _googlenet_layers(net):
    names = ('conv1', 'maxpool1', 'conv2', 'conv3', 'maxpool2', 'inception3a', 'inception3b',
             'maxpool3', 'inception4a', 'inception4b', 'inception4c', 'inception4d',
             'inception4e', 'maxpool4', 'inception5a', 'inception5b')
    return [getattr(net, n) for n in names], True


def _resnet_layers(net):
    return list(net.features._children.values()), False  # already ends in pool + flatten


_LAYERS = {'googlenet': _googlenet_layers, 'resnet18_v2': _resnet_layers,
           'resnet50_v2': _resnet_layers}


def default_weights(name):
    from gluoncv.model_zoo.model_store import apache_repo_url, get_model_file, short_hash

    from .pretrained import model_dir
    file_name = '%s-%s' % (name, short_hash(name))
    path = os.path.join(model_dir(), file_name + '.params')
    repo = os.environ.get('MXNET_GLUON_REPO', apache_repo_url).rstrip('/')
    url = '%s/gluon/models/%s.zip' % (repo, file_name)
    try:
        return get_model_file(name, root=model_dir())  # downloads when absent
    except Exception as e:
        lock = os.path.splitext(path)[0] + '.lock'
        if os.path.isfile(lock) and os.path.getsize(lock) == 0:
            os.remove(lock)  # GluonCV leaves an empty lock behind on failure
        raise PretrainedWeightsError(missing_message(
            name, path, url + ' (unzip it)', e)) from e


def build(name, weights, ctx):
    from gluoncv.model_zoo import get_model

    from .registry import SCRATCH_INIT
    net = get_model(name, pretrained=False)
    if weights is None:
        net.initialize(SCRATCH_INIT, ctx=ctx)
    else:
        net.load_parameters(check_exists(name, weights), ctx=ctx)
    layers, pool = _LAYERS[name](net)
    return Trunk(layers, pool)
