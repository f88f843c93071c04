"""python -m common.tools.index: build, add, query and evaluate an index of glyph images;
skipped images, resuming, and one-line errors."""
import json
import os
import shutil

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from exported_models import export_model

from common.evaluation import evaluate
from common.tools.index import builder
from common.tools.index.__main__ import main
from common.tools.index.recall import class_labels, recall_through_index
from common.tools.index.search import search_others
from common.tools.visualize.retrieval_grid import OTHER_CLASS, QUERY, SAME_CLASS, cell_origin
from script_runs import small_folder


@pytest.fixture(scope='module')
def model(tmp_path_factory, glyph_root):
    return export_model(str(tmp_path_factory.mktemp('model')), glyph_root)[0]


@pytest.fixture
def images(tmp_path, glyph_root):
    """8 glyph classes of 6 images, ROOT/<class>/<image>."""
    return small_folder(glyph_root, str(tmp_path / 'images'), classes=8, images=6)


def build(model, images, out, *extra):
    main(['build', '--model', model, '--images', images, '--out', str(out), '--num-workers',
          '0', '--no-progress'] + list(extra))


def test_build_lists_every_image_and_finds_each_itself_first(model, images, tmp_path):
    out = tmp_path / 'index'
    build(model, images, out)
    settings, index, table = builder.load(str(out))
    assert index.ntotal == len(table) == 48 and settings['kind'] == 'flat'
    assert sorted(table['class'].unique()) == ['c%d' % c for c in range(8)]
    vectors = builder.indexed_vectors(str(out), settings, table)
    _, ids = index.search(vectors, 1)
    assert (ids[:, 0] == np.arange(48)).all()


def test_corrupt_images_are_skipped_and_listed(model, images, tmp_path, caplog):
    with open(os.path.join(images, 'c0', 'broken.png'), 'wb') as f:
        f.write(b'\x89PNG not really')
    open(os.path.join(images, 'c1', 'empty.jpg'), 'wb').close()
    out = tmp_path / 'index'
    build(model, images, out)
    skipped = pd.read_csv(out / 'skipped.csv')
    assert sorted(os.path.basename(p) for p in skipped['path']) == ['broken.png', 'empty.jpg']
    assert '2 unreadable images were skipped' in caplog.text
    assert builder.load(str(out))[1].ntotal == 48


def test_an_interrupted_build_resumes_at_the_missing_shards(model, images, tmp_path):
    out = tmp_path / 'index'
    build(model, images, out, '--shard-size', '10')
    shards = sorted(os.listdir(out / 'shards'))
    assert len(shards) == 5
    # As if killed after three shards: the index and two shards are missing.
    for name in shards[3:] + ['index.faiss']:
        os.remove(out / ('shards' if name.endswith('npz') else '') / name)
    settings = json.load(open(out / 'index.json'))
    del settings['count']
    json.dump(settings, open(out / 'index.json', 'w'))
    before = {s: os.path.getmtime(out / 'shards' / s) for s in shards[:3]}
    build(model, images, out, '--shard-size', '10')
    assert {s: os.path.getmtime(out / 'shards' / s) for s in shards[:3]} == before
    assert builder.load(str(out))[1].ntotal == 48


def test_add_appends_only_new_images(model, images, tmp_path, glyph_root):
    out = tmp_path / 'index'
    build(model, images, out)
    # Two more classes (c0-c7 would be copies of the indexed images: equal pixels).
    more = small_folder(glyph_root, str(tmp_path / 'more'), classes=10, images=6)
    for c in range(8):
        shutil.rmtree(os.path.join(more, 'c%d' % c))
    main(['add', str(out), '--images', more, '--num-workers', '0', '--no-progress'])
    settings, index, table = builder.load(str(out))
    assert index.ntotal == len(table) == 60 and settings['count'] == 60
    assert list(table['id']) == list(range(60))
    assert (table['path'].iloc[48:].str.startswith(more)).all()
    vectors = builder.indexed_vectors(str(out), settings, table)
    _, ids = index.search(vectors, 1)
    assert (ids[:, 0] == np.arange(60)).all()
    for again in (more, images):  # nothing new
        main(['add', str(out), '--images', again, '--num-workers', '0', '--no-progress'])
    assert builder.load(str(out))[1].ntotal == 60


def test_query_prints_neighbours_as_table_json_and_grid(model, images, tmp_path, capsys):
    out = tmp_path / 'index'
    build(model, images, out)
    query = os.path.join(images, 'c3', sorted(os.listdir(os.path.join(images, 'c3')))[0])
    capsys.readouterr()
    main(['query', str(out), query, '--k', '4', '--json', '--grid', str(tmp_path / 'g.png')])
    printed = capsys.readouterr().out
    answer = json.loads(printed[:printed.rindex(']') + 1])
    first = answer[0]['neighbours'][0]
    assert len(answer[0]['neighbours']) == 4
    assert first['path'] == os.path.abspath(query) and first['distance'] < 1e-3
    assert [n['rank'] for n in answer[0]['neighbours']] == [1, 2, 3, 4]
    assert os.path.isfile(tmp_path / 'g.pdf')
    grid = (matplotlib.image.imread(str(tmp_path / 'g.png'))[:, :, :3] * 255).round()
    # Column 0 is the query (blue border); each neighbour's border says whether its class
    # folder is the query's (c3).
    for col, neighbour in enumerate([None] + answer[0]['neighbours']):
        y, x = cell_origin(0, col, 96)
        colour = QUERY if neighbour is None else \
            SAME_CLASS if neighbour['class'] == 'c3' else OTHER_CLASS
        assert tuple(grid[y, x]) == colour
    main(['query', str(out), query, '--k', '2'])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ['1', '0.0000', os.path.abspath(query)]


def test_flat_evaluate_equals_common_evaluation(model, images, tmp_path, capsys):
    out = tmp_path / 'index'
    build(model, images, out)
    settings, index, table = builder.load(str(out))
    vectors = builder.indexed_vectors(str(out), settings, table)
    labels = class_labels(table['class'].tolist())
    ks = (1, 2, 4, 8, 16, 32)
    expected = evaluate(vectors, labels, ks, compute_nmi=False, compute_map_at_r=False,
                        metric=settings['metric'])
    assert main(['evaluate', str(out)]) == expected
    assert recall_through_index(index, vectors, labels, settings['metric'], ks) == expected


@pytest.mark.parametrize('kind', [pytest.param('ivfpq', marks=pytest.mark.slow), 'hnsw'])
def test_approximate_index_reports_recall_against_exact(model, glyph_root, tmp_path, kind):
    images = small_folder(glyph_root, str(tmp_path / 'images'), classes=30, images=12)
    out = tmp_path / 'index'
    # Small codebooks: 360 images train 2^8 centroids slowly and badly.
    extra = ['--nlist', '4', '--nbits', '5'] if kind == 'ivfpq' else []
    build(model, images, out, '--index', kind, *extra)
    metrics = main(['evaluate', str(out)])
    assert 0.9 <= metrics['recall@10_vs_exact'] <= 1.0
    settings, index, table = builder.load(str(out))
    vectors = builder.indexed_vectors(str(out), settings, table)
    ids, _ = search_others(index, vectors, 3, settings['metric'])
    assert ids.shape == (360, 3) and not (ids == np.arange(360)[:, None]).any()


def test_errors_are_one_line(model, images, tmp_path, glyph_root):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(SystemExit, match='holds no image files'):
        build(model, str(empty), tmp_path / 'a')
    out = tmp_path / 'index'
    build(model, images, out)
    not_image = tmp_path / 'notes.png'
    not_image.write_text('not an image')
    with pytest.raises(SystemExit, match='query image .*notes.png cannot be decoded'):
        main(['query', str(out), str(not_image)])
    other, _ = export_model(str(tmp_path / 'other'), glyph_root, embed_dim=8)
    with pytest.raises(SystemExit, match='gives 8-d embeddings but the index .* holds 16-d'):
        main(['add', str(out), '--images', images, '--model', other, '--num-workers', '0'])
    retrained, _ = export_model(str(tmp_path / 'retrained'), glyph_root, seed=1)
    with pytest.raises(SystemExit, match='is not the model the index .* was built with'):
        main(['add', str(out), '--images', images, '--model', retrained, '--num-workers', '0'])
    broken = tmp_path / 'broken-model'
    shutil.copytree(model, broken)
    os.remove(broken / 'model-0000.params')
    with pytest.raises(SystemExit, match='has no model-0000.params'):
        build(str(broken), images, tmp_path / 'b')


@pytest.mark.slow
def test_glyph_test_images_index(model, glyph_root, tmp_path):
    """The glyph dataset's test split (31 classes, 1,953 images): built from half of its
    classes, the rest added; every image's nearest indexed image is itself."""
    root = tmp_path / 'glyphs'
    test_classes = sorted(d for d in os.listdir(glyph_root)
                          if os.path.isdir(os.path.join(glyph_root, d)))[31:]
    for name, part in ((test_classes[:15], 'first'), (test_classes[15:], 'second')):
        for c in name:
            os.makedirs(root / part, exist_ok=True)
            os.symlink(os.path.join(glyph_root, c), root / part / c)
    out = tmp_path / 'index'
    build(model, str(root / 'first'), out)
    main(['add', str(out), '--images', str(root / 'second'), '--num-workers', '0',
          '--no-progress'])
    settings, index, table = builder.load(str(out))
    assert len(table) == 1953 and table['class'].nunique() == 31
    vectors = builder.indexed_vectors(str(out), settings, table)
    _, ids = index.search(vectors, 1)
    assert (ids[:, 0] == np.arange(1953)).all()
