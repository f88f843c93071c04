"""A study's search space: the script's declared one, a ``--space`` file over it, checked
against the script's own option checks, and sampled by an Optuna trial."""
import contextlib
import io
import json
import os

from ...search_space import Choice, Range, parse_entry


def parse_script_args(recipe, argv):
    """The script's checked options of ``argv``; a refused option is a ValueError holding
    the parser's one-line message (argparse would print the usage and exit)."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            return recipe.parse_args(list(argv))
    except SystemExit:
        lines = [line for line in stderr.getvalue().splitlines() if line.strip()]
        message = lines[-1] if lines else 'invalid options'
        raise ValueError(message.split('error: ', 1)[-1]) from None


def option_flags(recipe):
    """{dest: its long option} of every option the script takes."""
    flags = {}
    for action in recipe.parser()._actions:
        long = [s for s in action.option_strings if s.startswith('--')]
        if long and action.dest != 'help':
            flags[action.dest] = long[0]
    return flags


def read_space_file(path):
    """The ``--space`` file's entries (JSON, or YAML by its extension)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise ValueError('--space %s: %s' % (path, e.strerror or e)) from None
    try:
        if os.path.splitext(path)[1].lower() in ('.yaml', '.yml'):
            import yaml
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as e:  # the parsers' errors share no base class
        raise ValueError('--space %s: not valid %s (%s)' % (
            path, 'YAML' if path.endswith(('.yaml', '.yml')) else 'JSON',
            str(e).splitlines()[0])) from None
    if not isinstance(data, dict):
        raise ValueError('--space %s: expected a mapping of option names to ranges' % path)
    return data


def build_space(recipe, script_args, space_file=None):
    """{dest: range}: the script's ``search_space`` with the file's entries over it (an entry
    of null drops a parameter), every bound checked by the script's own option checks.
    Raises ValueError with one line that names the file and the parameter."""
    args = parse_script_args(recipe, script_args)
    space = dict(recipe.search_space(args))
    where = '--space %s' % space_file if space_file else recipe.name
    flags = option_flags(recipe)
    if space_file:
        for name, entry in read_space_file(space_file).items():
            if name not in flags:
                raise ValueError('%s: %r is not an option of the script (options are named '
                                 'as their dest: lr, margin, ms_alpha)' % (where, name))
            if entry is None:
                space.pop(name, None)
                continue
            try:
                space[name] = parse_entry(name, entry)
            except ValueError as e:
                raise ValueError('%s: %s' % (where, e)) from None
    if not space:
        raise ValueError('%s declares no search space: give --space FILE' % recipe.name)
    for name, rng in space.items():
        check_bounds(recipe, script_args, flags[name], name, rng, where)
    return space


def check_bounds(recipe, script_args, flag, name, rng, where):
    """Each bound (or choice) of ``rng`` must pass the script's checks of ``flag``."""
    action = next(a for a in recipe.parser()._actions if flag in a.option_strings)
    if isinstance(rng, Range) and action.type is int and not rng.integer:
        raise ValueError('%s: %s takes whole numbers: add "int": true' % (where, name))
    for bound in rng.bounds():
        if isinstance(bound, bool) or action.nargs == 0:
            continue  # switches are checked when a trial passes them
        try:
            parse_script_args(recipe, list(script_args) + [flag, str(bound)])
        except ValueError as e:
            raise ValueError('%s: %s = %s is refused by the script: %s'
                             % (where, name, bound, e)) from None


def suggest(trial, space):
    """{dest: value} drawn by ``trial`` (an Optuna trial) from ``space``."""
    values = {}
    for name, rng in space.items():
        if isinstance(rng, Choice):
            values[name] = trial.suggest_categorical(name, list(rng.values))
        elif rng.integer:
            values[name] = trial.suggest_int(name, rng.low, rng.high, log=rng.log)
        else:
            values[name] = trial.suggest_float(name, rng.low, rng.high, log=rng.log)
    return values


def value_argv(recipe, values):
    """Command-line options that set ``values`` ({dest: value}); a switch is given or not."""
    flags, argv = option_flags(recipe), []
    switches = {a.dest for a in recipe.parser()._actions if a.nargs == 0}
    for name, value in values.items():
        if name in switches:
            argv += [flags[name]] if value else []
        else:
            argv += [flags[name], '%.6g' % value if isinstance(value, float) else str(value)]
    return argv
