"""Finding, downloading and loading pretrained backbone weights."""
import os

import mxnet as mx


class PretrainedWeightsError(FileNotFoundError):
    """Pretrained weights are neither on disk nor downloadable."""


def model_dir():
    """Where MXNet keeps model weights: ``$MXNET_HOME/models`` or ``~/.mxnet/models``."""
    home = os.environ.get('MXNET_HOME') or os.path.join(os.path.expanduser('~'), '.mxnet')
    return os.path.join(home, 'models')


def missing_message(what, path, source, error=None):
    reason = '' if error is None else ' (download failed: %s)' % type(error).__name__
    return ('%s weights not found at %s%s; download %s there on a machine with internet access, '
            'pass --pretrained PATH, or train from scratch with --no-pretrained'
            % (what, path, reason, source))


def fetch(what, filename, url, sha1=None):
    """Path of ``filename`` in the model folder, downloading it from ``url`` if absent."""
    path = os.path.join(model_dir(), filename)
    if os.path.isfile(path):
        return path
    try:
        os.makedirs(model_dir(), exist_ok=True)
        return mx.gluon.utils.download(url, path=path, sha1_hash=sha1, retries=1)
    except Exception as e:  # no network, DNS failure, HTTP error, bad checksum
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            os.remove(path)
        raise PretrainedWeightsError(missing_message(what, path, url, e)) from e


def check_exists(what, path):
    if not os.path.isfile(path):
        raise PretrainedWeightsError('%s weights: --pretrained %s does not exist' % (what, path))
    return path


def load_by_name(block, path, file_key, what, ctx):
    """Load a params file whose keys name the block's parameters.

    ``file_key(local_name)`` gives the file key of each parameter, where the
    local name is the parameter name without the block's prefix. Every
    parameter must be found; extra keys in the file (a classifier) are fine.
    """
    try:
        stored = mx.nd.load(path)
    except mx.base.MXNetError as e:
        raise PretrainedWeightsError('%s weights: %s is not an MXNet params file (%s)'
                                     % (what, path, str(e).splitlines()[0]))
    params = block.collect_params()
    local = {name[len(block.prefix):]: name for name in params.keys()}
    missing = [n for n in local if file_key(n) not in stored]
    if missing:
        raise PretrainedWeightsError('%s weights: %s lacks %d of %d parameters, e.g. %s; is it '
                                     'the right file?' % (what, path, len(missing), len(local),
                                                          file_key(missing[0])))
    for name, full in local.items():
        value = stored[file_key(name)]
        param = params[full]
        if param.shape and all(param.shape) and tuple(param.shape) != value.shape:
            raise PretrainedWeightsError('%s weights: %s has shape %s for %s, the network wants '
                                         '%s' % (what, path, value.shape, name, param.shape))
    params.load_dict({name: stored[file_key(name)] for name in local}, ctx=ctx,
                     restore_prefix=block.prefix)
