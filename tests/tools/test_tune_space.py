"""A study's search space: the scripts' declared ones, --space files over them, sampling."""
import json
import os

import optuna
import pytest

from common.tools.kanji_benchmark import DESIGN_CARD, ENTRIES
from common.tools.tune.space import build_space, parse_script_args, suggest, value_argv
from common.training.recipe import load_recipe
from script_runs import ROOT


def recipe_of(script):
    return load_recipe(os.path.join(ROOT, script))


def space_file(tmp_path, entries, name='space.json'):
    path = tmp_path / name
    if name.endswith('.json'):
        path.write_text(json.dumps(entries))
    else:
        import yaml
        path.write_text(yaml.safe_dump(entries))
    return str(path)


@pytest.mark.parametrize('name', DESIGN_CARD)
def test_design_card_spaces_pass_their_scripts_checks(name):
    script, options = ENTRIES[name]
    space = build_space(recipe_of(script), options)
    assert 2 <= len(space) <= 4
    assert any(key.startswith('lr') and rng.log for key, rng in space.items())


def test_a_file_narrows_fixes_and_drops_parameters(tmp_path):
    path = space_file(tmp_path, {'lr': {'low': 1e-5, 'high': 1e-4, 'log': True},
                                 'beta': None, 'nu': 0.1}, 'space.yaml')
    space = build_space(recipe_of('train_margin.py'), [], path)
    assert set(space) == {'lr', 'margin', 'nu'}
    assert space['lr'].bounds() == (1e-5, 1e-4) and space['nu'].values == (0.1,)


@pytest.mark.parametrize('script,entries,message', [
    ('train_margin.py', {'marginn': 0.2}, r"'marginn' is not an option of the script"),
    ('train_angular.py', {'alpha': {'low': 30, 'high': 95}},
     r'alpha = 95 is refused by the script: --alpha must be between 0 and 90'),
    ('train_hphn_ee.py', {'n_inner_pts': {'low': 1, 'high': 4}},
     r'n_inner_pts takes whole numbers: add "int": true'),
    ('train_margin.py', {'lr': {'low': 0, 'high': 1e-3}}, r'lr = 0 is refused by the script: '
                                                          r'--lr must be positive'),
    ('train_margin.py', {'lr': {'low': 1e-3, 'high': 1e-5}}, r'lr: low 0.001 must be below'),
])
def test_refused_entries_are_one_line_errors_naming_file_and_parameter(tmp_path, script,
                                                                       entries, message):
    path = space_file(tmp_path, entries)
    with pytest.raises(ValueError, match=r'^--space %s: %s' % (path, message)):
        build_space(recipe_of(script), [], path)


def test_unreadable_file_and_script_without_space(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"lr": ')
    with pytest.raises(ValueError, match=r'^--space .*bad.json: not valid JSON'):
        build_space(recipe_of('train_margin.py'), [], str(bad))
    with pytest.raises(ValueError, match=r'^nca declares no search space: give --space FILE'):
        build_space(recipe_of('train_nca.py'), [])


def test_sampled_values_reach_the_script_as_options():
    recipe = recipe_of('train_hphn_ee.py')
    space = build_space(recipe, [])
    trial = optuna.trial.FixedTrial({'lr': 3.5e-5, 'n_inner_pts': 5, 'margin': 0.125})
    values = suggest(trial, space)
    args = parse_script_args(recipe, value_argv(recipe, values))
    assert (args.lr, args.n_inner_pts, args.margin) == (3.5e-5, 5, 0.125)
