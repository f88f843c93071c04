"""python -m common.tools.export: the exported folder embeds as the training network did
(hybridized and not, and through the README's lines), model.json describes it, DREML
exports as one concatenating network, and bad input gets a one-line error."""
import json
import os
import re
import shutil
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest
from exported_models import dr_argv, export_model

from common.data.decode import read_image
from common.models import EmbeddingHead, build_embedding_net, get_backbone
from common.models.ensemble import ConcatenatedEmbeddings
from common.tools.export.__main__ import main
from common.tools.export.model_folder import (
    REQUIRED,
    ModelFolderError,
    load_model,
    read_description,
    transform,
)
from common.tools.export.trained_net import ExportError, rebuild
from script_runs import ROOT, glyph_argv, run, small_folder


@pytest.fixture(scope='module')
def exported(tmp_path_factory, glyph_root):
    return export_model(str(tmp_path_factory.mktemp('export')), glyph_root)


def glyph_batch(glyph_root, description, count=6):
    folders = sorted(d for d in os.listdir(glyph_root)
                     if os.path.isdir(os.path.join(glyph_root, d)))
    paths = [os.path.join(glyph_root, d, sorted(os.listdir(os.path.join(glyph_root, d)))[0])
             for d in folders[:count]]
    prepare = transform(description)
    return paths, mx.nd.array(np.stack([prepare(read_image(p)) for p in paths]))


@pytest.mark.parametrize('hybridize', [False, True])
def test_exported_network_embeds_as_the_training_network(exported, glyph_root, hybridize):
    folder, trained = exported
    net, description = load_model(folder)
    _, batch = glyph_batch(glyph_root, description)
    if hybridize:
        trained.hybridize()
        net.hybridize()
    expected = trained(batch).asnumpy()
    got = net(batch).asnumpy()
    assert got.shape == (6, 16)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    trained.hybridize(active=False)


def test_model_json_describes_the_network(exported):
    description = read_description(exported[0])
    assert description['backbone'] == 'small' and description['image_size'] == 32
    assert description['resize'] == 37  # 32 * 256 / 224, as the test-time transform
    assert description['embed_size'] == 16 and description['l2_normalized'] is True
    assert description['metric'] == 'euclidean'
    assert description['mean'] == [123.68, 116.779, 103.939]
    assert description['command'].startswith('python ') and 'train_dr.py' in \
        description['command']


README_BLOCK = re.compile(r'<!-- export-snippet -->\n```python\n(.*?)```', re.S)


def readme_snippet():
    with open(os.path.join(ROOT, 'README.md')) as f:
        found = README_BLOCK.findall(f.read())
    assert len(found) == 1, 'README.md holds one <!-- export-snippet --> python block'
    return found[0]


@pytest.mark.integration
def test_readme_lines_embed_an_image_without_the_toolkit(exported, glyph_root, tmp_path):
    """The README's lines, run as they are in a process that cannot import the toolkit,
    give the toolkit's embedding of the image."""
    folder, trained = exported
    snippet = readme_snippet()
    assert len(snippet.strip().splitlines()) <= 12
    paths, batch = glyph_batch(glyph_root, read_description(folder), 1)
    shutil.copytree(folder, tmp_path / 'exported' / 'demo')
    shutil.copy(paths[0], tmp_path / 'query.png')
    check = ('\nimport sys\nassert "common" not in sys.modules\n'
             'import numpy\nnumpy.save("embedding.npy", embedding)\n')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    # -I: the current folder and PYTHONPATH are not on sys.path, and the editable install's
    # path (the checkout) is removed, so that the toolkit cannot be imported.
    # Only the checkout itself: the venv may live inside it (.venv), and must stay.
    code = 'import os, sys\nsys.path = [p for p in sys.path if os.path.abspath(p) != %r]\n' % (
        os.path.abspath(ROOT),) + snippet + check
    done = subprocess.run([sys.executable, '-I', '-c', code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = np.load(tmp_path / 'embedding.npy')
    np.testing.assert_allclose(got.ravel(), trained(batch).asnumpy().ravel(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize('missing', REQUIRED)
def test_a_model_folder_missing_a_file_is_named(exported, tmp_path, missing):
    copy = tmp_path / 'model'
    shutil.copytree(exported[0], copy)
    os.remove(copy / missing)
    with pytest.raises(ModelFolderError, match='has no %s; export' % re.escape(missing)):
        load_model(str(copy))


def test_refuses_parameters_of_another_network(exported, glyph_root, tmp_path):
    params = os.path.join(os.path.dirname(exported[0]), 'source.params')
    with pytest.raises(ExportError, match='does not fit the network of these options'):
        rebuild(os.path.join(ROOT, 'train_dr.py'), dr_argv(glyph_root, embed_dim=32), [params])


def test_refuses_a_non_empty_output_folder(exported, glyph_root, capsys):
    params = os.path.join(os.path.dirname(exported[0]), 'source.params')
    with pytest.raises(SystemExit, match='already holds files'):
        main(['--params', params, '--out', exported[0], '--script',
              os.path.join(ROOT, 'train_dr.py'), '--'] + dr_argv(glyph_root))


def test_ensemble_concatenates_normalised_members():
    members = []
    for seed in (1, 2):
        mx.random.seed(seed)
        backbone, _ = get_backbone('small', pretrained=False)
        members.append(build_embedding_net(backbone, None, head=EmbeddingHead(4)))
    x = mx.nd.random.normal(shape=(3, 3, 32, 32))
    expected = np.concatenate([m(x).asnumpy() / np.linalg.norm(m(x).asnumpy(), axis=1,
                                                               keepdims=True) for m in members],
                              axis=1)
    net = ConcatenatedEmbeddings(members)
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.integration
def test_dreml_run_exports_its_chosen_members(glyph_root, tmp_path):
    """A two-member DREML run, exported from its manifest, embeds the test images as the
    run's saved test embeddings (the concatenation of its chosen members)."""
    from train_dreml import DREML
    results = tmp_path / 'run'
    images = small_folder(glyph_root, str(tmp_path / 'images'), classes=8, images=6)
    argv = glyph_argv(images, results, '-L', '2', '-D', '2', '--lr', '1e-3', '--no-nmi',
                      '--steps', '0', '--save-embeddings', epochs=1, batch_size=12)
    argv[argv.index('glyphs')] = 'folder'
    run(DREML(), argv)
    out = tmp_path / 'model'
    description = main([str(results / 'train_dreml.manifest.json'), '--out', str(out)])
    saved = np.load(results / 'train_dreml_embeddings.npz')
    assert description['ensemble_members'] == json.load(
        open(results / 'train_dreml.manifest.json'))['summary']['best_epochs'][0]
    assert description['embed_size'] == 2 * description['ensemble_members']
    assert description['metric'] == 'cosine'
    net, description = load_model(str(out))
    paths = [str(p) for p in saved['paths'][:5]]
    prepare = transform(description)
    got = net(mx.nd.array(np.stack([prepare(read_image(p)) for p in paths]))).asnumpy()
    np.testing.assert_allclose(got, saved['embeddings'][:5], rtol=1e-4, atol=1e-5)


def test_dreml_member_files_export_as_one_network(glyph_root, tmp_path):
    """Without a manifest, DREML's member files (--params, in order) become one network
    whose output is their L2-normalised embeddings side by side."""
    from common.training.recipe import load_recipe
    script = os.path.join(ROOT, 'train_dreml.py')
    argv = ['--dataset', 'glyphs', '--data-path', str(glyph_root), '--model', 'small',
            '--no-pretrained', '--image-size', '32', '-L', '2', '-D', '4']
    recipe = load_recipe(script)
    args = recipe.parse_args(argv)
    members, files = [], []
    for m in range(2):
        mx.random.seed(m)
        backbone, _ = get_backbone('small', pretrained=False)
        net = build_embedding_net(backbone, None, head=recipe.build_head(args, None))
        net(mx.nd.zeros((1, 3, 32, 32)))
        files.append(str(tmp_path / ('member_%03d.params' % m)))
        net.save_parameters(files[-1])
        members.append(net)
    trained = rebuild(script, argv, files)
    out = str(tmp_path / 'model')
    main(['--params'] + files + ['--out', out, '--script', script, '--'] + argv)
    net, description = load_model(out)
    assert description['ensemble_members'] == 2 and description['embed_size'] == 8
    assert description['metric'] == 'cosine'
    x = mx.nd.random.normal(shape=(3, 3, 32, 32))
    expected = np.concatenate([m(x).asnumpy() / np.linalg.norm(m(x).asnumpy(), axis=1,
                                                               keepdims=True) for m in members],
                              axis=1)
    np.testing.assert_allclose(trained.net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
