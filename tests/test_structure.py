"""The package's structure: no import cycles, only the command line parses arguments, one error
handler with one-line errors, and run configurations."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

import gast_pyg
from gast_pyg.cli import build_parser, main, run_command
from gast_pyg.configs import ConfigError, RunConfig, available, read_config_file
from gast_pyg.errors import GastPygError

PACKAGE = Path(gast_pyg.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports, anywhere: at module level, inside functions
    (lazily) and under ``if __name__ == '__main__'``."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                name = module_name(path)
                package = name if path.name == '__init__.py' else name.rpartition('.')[0]
                base = '.'.join(package.split('.')[:len(package.split('.')) - node.level + 1]
                                + ([base] if base else []))
            names = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in modules else base
                     for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob('*.py')}
    modules = set(paths)
    return {name: imported_modules(path, modules) - {name} for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                return stack[stack.index(child):] + [child]
            if child not in state:
                cycle = visit(child)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert 'gast_pyg.cli.train' in graph and 'gast_pyg.training' in graph['gast_pyg.cli.train']
    cycle = find_cycle(graph)
    assert cycle is None, ' -> '.join(cycle)


def test_imports_under_a_main_guard_and_in_functions_count(tmp_path):
    sample = tmp_path / 'sample.py'
    sample.write_text("def f():\n    from gast_pyg import lifting\n\n\n"
                      "if __name__ == '__main__':\n    from gast_pyg.cli import main\n")
    modules = {'gast_pyg.lifting', 'gast_pyg.cli'}
    assert imported_modules(sample, modules) == {'gast_pyg.lifting', 'gast_pyg.cli'}


def test_keypoint_modules_import_their_siblings_not_the_package():
    graph = import_graph()
    modules = {name for name in graph if name.startswith('gast_pyg.keypoints.')}
    assert {'gast_pyg.keypoints.layouts', 'gast_pyg.keypoints.gaps',
            'gast_pyg.keypoints.preparation', 'gast_pyg.keypoints.demo_json',
            'gast_pyg.keypoints.arrays'} <= modules
    assert sorted(name for name in modules if 'gast_pyg.keypoints' in graph[name]) == []


def test_data_and_keypoints_do_not_import_each_other():
    def inside(module: str, package: str) -> bool:
        return module == package or module.startswith(package + '.')

    graph = import_graph()
    crossings = sorted(
        (module, imported) for module, imports in graph.items() for imported in imports
        for a, b in (('gast_pyg.data', 'gast_pyg.keypoints'),
                     ('gast_pyg.keypoints', 'gast_pyg.data'))
        if inside(module, a) and inside(imported, b))
    assert crossings == []


def test_nn_exports_the_layers_not_the_kernels():
    import torch

    import gast_pyg.nn
    from gast_pyg.nn import _kernels
    exported = {name: getattr(gast_pyg.nn, name) for name in gast_pyg.nn.__all__}
    assert {'SemGraphConv', 'LocalAttention', 'GlobalGraphAttention', 'GraphAttentionBlock',
            'Pointwise'} <= set(exported)
    functions = sorted(name for name, value in exported.items()
                       if not (isinstance(value, type) and issubclass(value, torch.nn.Module)))
    assert functions == ['complete_edge_index', 'fold_batch_norms']
    assert not set(_kernels.__all__) & set(dir(gast_pyg.nn))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) is None


def test_only_the_command_line_parses_arguments():
    users = sorted(name for name, path in ((module_name(p), p) for p in PACKAGE.rglob('*.py'))
                   if 'argparse' in {alias.name for node in ast.walk(ast.parse(path.read_text()))
                                     if isinstance(node, ast.Import) for alias in node.names})
    assert users and all(name.startswith('gast_pyg.cli') for name in users), users


def argument_parsers_built(path: Path) -> int:
    """How many ``ArgumentParser(...)`` calls the source of ``path`` makes."""
    return sum(isinstance(node, ast.Call)
               and (getattr(node.func, 'id', None) == 'ArgumentParser'
                    or getattr(node.func, 'attr', None) == 'ArgumentParser')
               for node in ast.walk(ast.parse(path.read_text())))


def test_the_package_builds_exactly_one_argument_parser(tmp_path):
    built = {module_name(p): n for p in PACKAGE.rglob('*.py') if (n := argument_parsers_built(p))}
    assert built == {'gast_pyg.cli': 1}
    assert argument_parsers_built(PACKAGE.parent / 'benchmarks' / 'h36m.py') == 0
    sample = tmp_path / 'sample.py'
    sample.write_text('import argparse\nfrom argparse import ArgumentParser\n'
                      'a = argparse.ArgumentParser()\nb = ArgumentParser(prog="x")\n')
    assert argument_parsers_built(sample) == 2


# The README's "Layout" table -----------------------------------------------------------------

README = PACKAGE.parent / 'README.md'


def layout_rows(text: str) -> list[tuple[list[str], list[str] | None]]:
    """The rows of the "## Layout" table: (the row's module names, the names it may import;
    ``None`` for "everything"), names as written (``x.py``, ``x/``, ``x/y.py``,
    ``__init__.py``)."""
    section = text.split('\n## Layout\n', 1)[1].split('\n## ', 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if len(cells) != 3 or set(cells[0]) <= {'-'} or not cells[0].startswith('`'):
            continue
        names = [n for n in re.findall(r'`([^`]+)`', cells[0]) if n.endswith(('.py', '/'))]
        allowed = (None if cells[2] == 'everything' else
                   [n for n in re.findall(r'`([^`]+)`', cells[2]) if n.endswith(('.py', '/'))])
        rows.append((names, allowed))
    return rows


def name_matches(name: str, module: str) -> int:
    """How specifically the README name matches ``module``: 2 a file, 1 a folder, 0 not."""
    if name == '__init__.py':
        return 2 * (module == 'gast_pyg')
    dotted = 'gast_pyg.' + name.removesuffix('/').removesuffix('.py').replace('/', '.')
    if name.endswith('.py'):
        return 2 * (module == dotted)
    return int(module == dotted or module.startswith(dotted + '.'))


def test_layout_table_is_the_package_and_its_imports():
    rows = layout_rows(README.read_text())
    graph = import_graph()
    assert len(rows) > 10
    for names, _ in rows:
        for name in names:
            assert (PACKAGE / name).exists(), f'README Layout names {name}, not in gast_pyg/'

    def row_of(module: str) -> int:
        ranked = sorted(((max(name_matches(n, module) for n in names), -i)
                         for i, (names, _) in enumerate(rows)), reverse=True)
        assert ranked[0][0] > 0, f'{module} has no row in the README Layout table'
        return -ranked[0][1]

    rank = {module: row_of(module) for module in graph}
    for module, imports in sorted(graph.items()):
        names, allowed = rows[rank[module]]
        for imported in sorted(imports):
            assert rank[imported] <= rank[module], (
                f'{module} (README Layout row {", ".join(names)}) imports {imported}, '
                f'a later row ({", ".join(rows[rank[imported]][0])})')
            if allowed is not None and rank[imported] != rank[module]:
                assert any(name_matches(n, imported) for n in allowed), (
                    f'{module} imports {imported}; README Layout row {", ".join(names)} may '
                    f'import only {", ".join(allowed) or "nothing"}')


def test_layout_rows_and_names_are_read_as_written():
    text = '''
## Layout

| module | holds | may import |
|---|---|---|
| `errors.py` | x | nothing |
| `cli/` | y | everything |

## Next
'''
    rows = layout_rows(text)
    assert rows == [(['errors.py'], []), (['cli/'], None)]
    assert name_matches('cli/', 'gast_pyg.cli.train') == 1
    assert name_matches('data/pipeline.py', 'gast_pyg.data.pipeline') == 2
    assert name_matches('data/', 'gast_pyg.database') == 0
    assert name_matches('__init__.py', 'gast_pyg') == 2 and not name_matches('__init__.py',
                                                                                'gast_pyg.cli')


def test_every_option_shows_its_default():
    parser = build_parser()
    for name, command in parser.commands.items():
        for action in command._actions:
            if action.option_strings and action.help and action.dest != 'help':
                text = command.formatter_class('x')._get_help_string(action)
                assert action.required or '(default' in text or '(unset' in text, (
                    name, action.option_strings)


def test_arch_and_receptive_field_choices_come_from_the_builder():
    from gast_pyg.models.builder import ARCHITECTURES, FILTER_WIDTHS
    train = build_parser().commands['train']
    choices = {a.dest: a.choices for a in train._actions}
    assert list(choices['arch']) == sorted(ARCHITECTURES)
    assert list(choices['receptive_field']) == sorted(FILTER_WIDTHS)


# The error handler ---------------------------------------------------------------------------

def test_bad_input_is_one_line_and_exit_2(capsys):
    def bad(_):
        raise GastPygError('x.npz: field positions_3d: expected a dict ' + 'y' * 1000)

    assert run_command('gast-pyg demo', bad, None) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.startswith('gast-pyg demo: error: x.npz: field')
    assert len(err.strip()) <= len('gast-pyg demo: error: ') + 500 and err.strip().endswith('...')


def test_os_errors_on_user_paths_are_one_line(capsys, tmp_path):
    def missing(_):
        open(tmp_path / 'missing.txt')

    assert run_command('gast-pyg demo', missing, None) == 2
    err = capsys.readouterr().err
    assert err == f'gast-pyg demo: error: {tmp_path / "missing.txt"}: No such file or directory\n'


def test_other_exceptions_are_reported_as_bugs_with_the_traceback(capsys):
    def broken(_):
        raise KeyError('oops')

    assert run_command('gast-pyg demo', broken, None) == 1
    err = capsys.readouterr().err
    assert 'Traceback' in err and "KeyError: 'oops'" in err
    assert err.strip().splitlines()[-1] == ('gast-pyg demo: error: this is a bug in gast-pyg; '
                                            'please report it with the traceback above')


def test_argparse_errors_stay_argparse_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['train', '--receptive-field', '10'])
    assert exit_info.value.code == 2
    assert 'argument --receptive-field: invalid choice: 10' in capsys.readouterr().err


def test_latency_refuses_a_non_causal_checkpoint_in_one_line(tmp_path, capsys):
    from gast_pyg import build_model, save_checkpoint
    path = save_checkpoint(tmp_path / 'offline.pt', build_model(receptive_field=9, channels=8))
    assert main(['latency', '--checkpoint', str(path), '--frames', '2', '--warmup', '0']) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'non-causal model' in err
    assert 'train it with gast-pyg train --causal' in err


# Run configurations ----------------------------------------------------------------------------

def test_shipped_configs_load_into_the_typed_configuration():
    assert {'paper-h36m-27', 'paper-humaneva', 'synthetic'} <= set(available())
    for name in available():
        config = RunConfig.load(name)
        assert RunConfig.from_mapping(config.to_mapping()) == config
        assert RunConfig.from_mapping(yaml.safe_load(config.dump())) == config
    paper = RunConfig.load('paper-h36m-27')
    assert paper == RunConfig(data=paper.data) and paper.data.dataset == 'h36m'
    assert (paper.model.width, paper.model.dropout_rate, paper.downsample) == (128, 0.05, 5)
    synthetic = RunConfig.load('synthetic')
    assert synthetic.model.width == 32
    assert RunConfig.from_mapping({**read_config_file(Path(str(
        __import__('gast_pyg.configs').configs.config_path('synthetic')))),
        'arch': 'tcn'}).model.width == 256


def test_a_configuration_refuses_unknown_keys_and_wrong_types_naming_file_and_key(tmp_path):
    path = tmp_path / 'mine.yaml'
    path.write_text('epochs: 3\nlearning_rate: 0.1\n')
    with pytest.raises(ConfigError, match=r"mine\.yaml: unknown key 'learning_rate'"):
        RunConfig.load(path)
    for text, message in (('epochs: three\n', 'key epochs: expected an integer'),
                          ('lr: .inf\n', 'key lr: expected a finite number'),
                          ('train_subjects: 5\n', 'key train_subjects: expected a list'),
                          ('checkpoint_dir: [a, b]\n', 'key checkpoint_dir: expected a string'),
                          ('flip_augment: 1\n', 'key flip_augment: expected true or false')):
        path.write_text(text)
        with pytest.raises(ConfigError, match=rf'mine\.yaml: {message}'):
            RunConfig.load(path)
    path.write_text('!!python/object/apply:os.system ["echo hi"]\n')
    with pytest.raises(ConfigError, match='not a readable YAML file'):
        RunConfig.load(path)
    with pytest.raises(ConfigError, match='no such configuration file'):
        RunConfig.load(tmp_path / 'none.yaml')
    assert main(['train', '--config', str(path)]) == 2


def test_config_sets_defaults_explicit_options_win_and_the_run_writes_it(tmp_path, capsys,
                                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / 'tiny.yaml'
    config.write_text(yaml.safe_dump(dict(
        channels=8, receptive_field=9, synthetic_sequences=1, synthetic_frames=120,
        train_subjects=['S1', 'S5'], test_subjects=['S8'], batch_size=32, downsample=1,
        epochs=3, threads=1, progress=False)))
    run = tmp_path / 'run'
    assert main(['train', '--config', str(config), '--epochs', '1',
                 '--checkpoint-dir', str(run)]) == 0
    out = capsys.readouterr().out
    assert f'run folder: {run}' in out and 'epoch 1/1' in out and 'epoch 2/' not in out
    written = yaml.safe_load((run / 'config.yaml').read_text())
    assert written['epochs'] == 1 and written['channels'] == 8 and written['lr'] == 2e-3
    assert sorted(p.name for p in run.iterdir()) == ['best.pt', 'config.yaml', 'last.pt']
    # The written configuration reproduces the run from its folder alone.
    again = tmp_path / 'again'
    assert main(['train', '--config', str(run / 'config.yaml'), '--checkpoint-dir',
                 str(again)]) == 0
    assert yaml.safe_load((again / 'config.yaml').read_text()) == written
    assert written['checkpoint_dir'] is None and written['name'] == 'tiny'
    # Repeated without a folder, it goes beside the first run, never over it.
    capsys.readouterr()
    assert main(['train', '--config', str(run / 'config.yaml')]) == 0
    assert main(['train', '--config', str(run / 'config.yaml')]) == 0
    out = capsys.readouterr().out
    assert 'run folder: runs/tiny (' in out and 'run folder: runs/tiny-2 (' in out


# Errors --------------------------------------------------------------------------------------

#: The only bare ``raise ValueError`` kept, and why: not bad input but a defect of the code.
_VALUE_ERRORS_KEPT = {
    'nn/fusion.py': 'a model class declaring a batch-norm pair it does not have',
}


def package_sources() -> dict[str, Path]:
    return {path.relative_to(PACKAGE).as_posix(): path for path in PACKAGE.rglob('*.py')}


def raises_of(path: Path, name: str) -> int:
    """How many ``raise NAME(...)`` / ``raise NAME`` statements the source of ``path`` has."""
    count = 0
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            count += isinstance(exc, ast.Name) and exc.id == name
    return count


def test_every_error_class_of_the_package_is_a_gast_pyg_error():
    import importlib

    found = {}
    for relative, path in package_sources().items():
        if relative.endswith('__main__.py'):
            continue
        names = [node.name for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.ClassDef) and node.name.endswith('Error')]
        if names:
            module = importlib.import_module(module_name(path))
            found.update({f'{relative}:{name}': getattr(module, name) for name in names})
    assert {'errors.py:GastPygError', 'safe_pickle.py:ArrayFileError',
            'video/decoding.py:VideoError', 'keypoints/sequence.py:KeypointError',
            'models/base.py:ModelError', 'export.py:ExportError',
            'pretrained.py:PretrainedError'} <= set(found)
    assert sorted(name for name, cls in found.items() if not issubclass(cls, GastPygError)) == []
    assert all(issubclass(cls, ValueError) for cls in found.values())


def test_no_bare_value_error_is_raised_for_input():
    counts = {relative: n for relative, path in package_sources().items()
              if (n := raises_of(path, 'ValueError'))}
    assert sorted(set(counts) - set(_VALUE_ERRORS_KEPT)) == []
    assert sorted(set(_VALUE_ERRORS_KEPT) - set(counts)) == []  # no stale exemption


def test_raises_of_counts_raise_statements(tmp_path):
    sample = tmp_path / 'sample.py'
    sample.write_text('def f(x):\n    if x:\n        raise ValueError("x")\n    raise ValueError\n'
                      'ValueError("not raised")\nraise KeyError(1)\n')
    assert raises_of(sample, 'ValueError') == 2 and raises_of(sample, 'KeyError') == 1
