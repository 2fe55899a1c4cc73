"""Start-up: the ``gast-pyg`` parser, ``--help`` and argument errors do not import torch; the
choices the parser lists without the library are the library's own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gast_pyg
from gast_pyg.cli import choices

ROOT = Path(gast_pyg.__file__).resolve().parent.parent
#: Modules whose import takes seconds; none of them may load before a sub-command runs.
HEAVY = ('torch', 'torch_geometric', 'numpy', 'scipy')


def python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with this checkout first on the path."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=path))


def heavy_modules_after(statement: str) -> tuple[list[str], subprocess.CompletedProcess]:
    """The :data:`HEAVY` modules loaded after running ``statement`` (exits caught)."""
    done = python(f'import json, sys\ntry:\n    {statement}\nexcept SystemExit:\n    pass\n'
                  f'print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in '
                  f'{HEAVY!r})))')
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done


def test_building_the_parser_imports_no_torch():
    loaded, _ = heavy_modules_after('import gast_pyg.cli; gast_pyg.cli.build_parser()')
    assert loaded == []


def test_help_and_argument_errors_import_no_torch():
    for argv in (['--help'], ['train', '--help'], ['infer', '--help'], ['infer', '--bogus'],
                 ['latency', '--receptive-field', '10']):
        loaded, done = heavy_modules_after(f'import gast_pyg.cli; gast_pyg.cli.main({argv!r})')
        assert loaded == [], argv
        if argv[-1] == '--help':
            assert done.stdout.startswith(f'usage: gast-pyg {" ".join(argv[:-1])}'.rstrip())
        else:
            assert done.stderr.strip().splitlines()[-1].startswith(
                f'gast-pyg {argv[0]}: error: ')


def test_the_command_answers_help_and_argument_errors():
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    for argv, status in ((['--help'], 0), (['train', '--help'], 0), (['infer', '--bogus'], 2)):
        done = subprocess.run([sys.executable, '-m', 'gast_pyg.cli', *argv], capture_output=True,
                              text=True, timeout=120, env=dict(os.environ, PYTHONPATH=path))
        assert done.returncode == status, (argv, done.stderr)
    assert done.stderr.strip().splitlines()[-1] == (
        'gast-pyg infer: error: the following arguments are required: --keypoints, --output')


def test_the_package_loads_its_public_names_on_first_use():
    loaded, _ = heavy_modules_after('import gast_pyg')
    assert loaded == []
    done = python('import sys, gast_pyg\nfrom gast_pyg import build_model\n'
                  'assert "torch" in sys.modules\n'
                  'print(build_model.__module__, sorted(set(gast_pyg.__all__) - set(dir(gast_pyg))))')
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ['gast_pyg.models.builder', '[]']
    for name in gast_pyg.__all__:
        assert getattr(gast_pyg, name).__name__ == name
    try:
        gast_pyg.no_such_name
    except AttributeError as error:
        assert "has no attribute 'no_such_name'" in str(error)
    else:
        raise AssertionError('gast_pyg.no_such_name did not raise AttributeError')


def test_the_listed_choices_are_the_library_s():
    from gast_pyg.data.noise import NOISE_OUTLIER_RATE, NOISE_OUTLIER_SCALE
    from gast_pyg.data.pipeline import AUGMENTATIONS_2D
    from gast_pyg.export import FORMATS as EXPORT_FORMATS
    from gast_pyg.keypoints.formats import FORMATS as KEYPOINT_FORMATS
    from gast_pyg.lifting import PRECISIONS
    from gast_pyg.models.builder import ARCHITECTURES, FILTER_WIDTHS
    from gast_pyg.models.trajectory import TRAJECTORY_DESIGNS
    from gast_pyg.devices import AMP_DTYPES
    from gast_pyg.keypoints.formats import LAYOUTS
    assert choices.KEYPOINT_LAYOUTS == tuple(LAYOUTS)
    from gast_pyg.configs import DATASET_PRESETS, ModelConfig

    assert choices.ARCHITECTURES == tuple(sorted(ARCHITECTURES))
    assert choices.RECEPTIVE_FIELDS == tuple(sorted(FILTER_WIDTHS))
    assert choices.TRAJECTORY_DESIGNS == tuple(TRAJECTORY_DESIGNS)
    assert set(choices.COMPONENTS) == set(ModelConfig().components)
    assert choices.DATASETS == tuple(sorted(DATASET_PRESETS))
    from gast_pyg.visualization import MAX_ATTENTION_FRAMES
    assert choices.MAX_ATTENTION_FRAMES == MAX_ATTENTION_FRAMES
    assert choices.AUGMENTATIONS_2D == tuple(AUGMENTATIONS_2D)
    assert (choices.NOISE_OUTLIER_RATE, choices.NOISE_OUTLIER_SCALE) == (NOISE_OUTLIER_RATE,
                                                                         NOISE_OUTLIER_SCALE)
    assert choices.KEYPOINT_FORMATS == tuple(KEYPOINT_FORMATS)
    assert choices.PRECISIONS == tuple(PRECISIONS)
    assert choices.EXPORT_FORMATS == tuple(EXPORT_FORMATS)
    assert choices.AMP_DTYPES == tuple(AMP_DTYPES)
