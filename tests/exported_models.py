"""Helpers for the export and index tests: a small network saved as a training run saves
it, exported as python -m common.tools.export does, without any training."""
import os

import mxnet as mx

from common.models import build_embedding_net, get_backbone
from common.tools.export.model_folder import write_model_folder
from common.tools.export.trained_net import rebuild
from common.training.recipe import load_recipe
from script_runs import ROOT


def dr_argv(glyph_root, embed_dim=16):
    """The options of a small train_dr.py run on the embedded glyphs."""
    return ['--dataset', 'glyphs', '--data-path', str(glyph_root), '--model', 'small',
            '--no-pretrained', '--image-size', '32', '--embed-dim', str(embed_dim)]


def trained_network(params, glyph_root, embed_dim=16, seed=0):
    """The network train_dr.py builds (small backbone, its recipe's head), randomly
    initialised with ``seed`` and saved to ``params`` as a run saves its best epoch."""
    recipe = load_recipe(os.path.join(ROOT, 'train_dr.py'))
    args = recipe.parse_args(dr_argv(glyph_root, embed_dim))
    mx.random.seed(seed)
    backbone, _ = get_backbone('small', pretrained=False)
    net = build_embedding_net(backbone, None, head=recipe.build_head(args, None))
    net(mx.nd.zeros((1, 3, 32, 32)))  # shapes are deferred until the first batch
    net.save_parameters(str(params))
    return net


def export_model(folder, glyph_root, embed_dim=16, seed=0):
    """Export a fresh ``trained_network`` into ``folder`` (through --params and the
    options); returns (folder, the network that saved the parameters)."""
    os.makedirs(folder, exist_ok=True)
    params = os.path.join(folder, 'source.params')
    net = trained_network(params, glyph_root, embed_dim, seed)
    trained = rebuild(os.path.join(ROOT, 'train_dr.py'), dr_argv(glyph_root, embed_dim),
                      [params])
    out = os.path.join(folder, 'model')
    write_model_folder(trained, out)
    return out, net
