"""Option groups and value types shared by the ``gast-pyg`` sub-commands, defined once.

A sub-command module builds its parser from these groups (:func:`add_checkpoint_options`,
:func:`add_keypoint_options`, :func:`add_camera_options`, :func:`add_data_options`,
:func:`add_model_options`, :func:`add_runtime_options`), so an option means the same thing and shows the same default in
every command. Every parser uses :class:`HelpFormatter`, which appends ``(default: ...)`` to each
option's help.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from gast_pyg.cli.choices import (
    KEYPOINT_LAYOUTS,
    ARCHITECTURES,
    AUGMENTATIONS_2D,
    COMPONENTS,
    DATASETS,
    KEYPOINT_FORMATS,
    NOISE_OUTLIER_RATE,
    NOISE_OUTLIER_SCALE,
    PRECISIONS,
    RECEPTIVE_FIELDS,
    TRAJECTORY_DESIGNS,
)
from gast_pyg.cli.types import (
    field_of_view,
    focal_length,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    probability,
)
from gast_pyg.configs import available as available_configs
from gast_pyg.configs import config_path, read_config_file

from gast_pyg.errors import GastPygError

if TYPE_CHECKING:
    from gast_pyg.keypoints.tracking import PersonChoice
    from gast_pyg.lifter import LiftingOptions

__all__ = ['HelpFormatter', 'positive_int', 'non_negative_float', 'subjects', 'actions',
           'person_choice', 'add_checkpoint_options', 'checkpoint_file', 'add_keypoint_options',
           'add_camera_options', 'add_data_options',
           'add_model_options', 'add_runtime_options', 'add_evaluation_options',
           'add_config_option', 'parse_arguments']


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default after its help: ``(default: VALUE)``, or the help's own
    ``(unset: ...)`` text saying what an unset option means."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ''
        if (not action.option_strings or action.default is argparse.SUPPRESS or action.required
                or '(default' in text or '(unset' in text):
            return text
        if action.default is None:
            return f'{text} (default: unset)'
        return f'{text} (default: %(default)s)'


# Value types ----------------------------------------------------------------------------------

def subjects(text: str) -> list[str]:
    names = [name.strip() for name in text.split(',') if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError('expected a comma-separated list of subjects')
    return names


def actions(text: str) -> Optional[list[str]]:
    if text.strip() in ('', '*', 'all'):
        return None
    return [name.strip() for name in text.split(',') if name.strip()]




# Groups ---------------------------------------------------------------------------------------

def person_choice(text: str) -> PersonChoice:
    """``--person``: ``all``, ``best`` or a track id."""
    if text in ('all', 'best'):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a track id, 'all' or 'best', got {text!r}")


def add_checkpoint_options(parser: argparse.ArgumentParser, required: bool = False,
                           aliases: tuple[str, ...] = (), causal: bool = False) -> None:
    """The checkpoint to read (a file or a shipped model's name; with ``required=False``
    omitting it means the shipped default, the default causal one with ``causal``) and what an
    authors' file cannot say itself. Read it with :func:`checkpoint_file`."""
    group = parser.add_argument_group('checkpoint')
    default = 'the shipped default causal model' if causal else 'the shipped default model'
    group.add_argument('--checkpoint', *aliases, dest='checkpoint', required=required,
                       metavar='FILE|NAME', default=None,
                       help="a gast-pyg checkpoint, an authors' .bin or the name of a shipped "
                            "model (gast-pyg models)"
                            + ('' if required else f' (unset: {default})'))
    group.add_argument('--skeleton', default=None,
                       help="bundled skeleton name or YAML path of an authors' checkpoint (by "
                            "default chosen by joint count); for gast-pyg checkpoints a check")
    if not causal:
        group.add_argument('--causal', action='store_true',
                           help="the authors' checkpoint is a causal model")


def checkpoint_file(args: argparse.Namespace, causal: bool = False) -> Optional[str]:
    """The ``--checkpoint`` value (a file or a shipped model's name, for
    :func:`gast_pyg.load_model`); when it is omitted, ``None`` (the shipped default, ``causal``:
    the default causal one), announced on stdout, or one error saying to give
    ``--checkpoint`` when no default is shipped."""
    if args.checkpoint is not None:
        return args.checkpoint
    from gast_pyg.pretrained import PretrainedError, load_registry
    try:
        entry = load_registry().default(causal)
    except PretrainedError as error:
        raise PretrainedError(f'no --checkpoint given: {error} with --checkpoint FILE|NAME'
                              ) from None
    kind = ', '.join(k for k, on in (('causal', entry.causal),
                                     ('trajectory', entry.trajectory)) if on)
    print(f'using the shipped model {entry.name} ({entry.arch}, receptive field '
          f'{entry.receptive_field}, {entry.skeleton}{", " + kind if kind else ""}; '
          f'--checkpoint FILE|NAME chooses another)', flush=True)
    return None


def add_keypoint_options(parser: argparse.ArgumentParser, tracks: bool = False,
                         required: bool = True, image_size: bool = True) -> None:
    """Reading detector keypoints of a video. ``tracks``: a file of any supported tool, every
    person followed as a track (``--format``, ``--person``, ``--max-gap``); otherwise one
    person of the demo JSON or an array (``--layout``). ``image_size``: ``--width`` /
    ``--height``."""
    group = parser.add_argument_group('keypoints')
    if tracks:
        group.add_argument('--keypoints', required=required, metavar='FILE', default=None,
                           help='2D keypoints of any supported tool: GAST-Net demo JSON, '
                                '.npy/.npz (frames, 17, 2|3), OpenPose folder, AlphaPose, '
                                'MMPose, COCO-WholeBody' + ('' if required else
                                                            ' (unset: detect them)'))
        group.add_argument('--format', default=None, choices=list(KEYPOINT_FORMATS),
                           help='format of --keypoints (unset: recognised from the content)')
        group.add_argument('--layout', default=None, choices=KEYPOINT_LAYOUTS,
                           help='joint layout of the keypoints (unset: recognised from the number '
                                'of points per person)')
        group.add_argument('--person', type=person_choice, default='all', metavar='ID|all|best',
                           help='lift one track, every track, or per frame the person with the '
                                'highest mean score')
        group.add_argument('--max-gap', type=non_negative_int, default=None,
                           help='frames a person may go undetected (occluded, out of the '
                                'picture) and keep their track (unset: one second of frames)')
    else:
        group.add_argument('--keypoints', required=True, metavar='FILE',
                           help='2D keypoints: .json (HRNet/GAST-Net demo layout) or .npy/.npz '
                                '(frames, 17, 2|3)')
        group.add_argument('--layout', default='coco',
                           help="joint layout of the keypoints: coco (converted to the model's "
                                "skeleton, h36m or humaneva) or the model skeleton's name")
    if image_size:
        group.add_argument('--width', type=positive_float, default=None,
                           help='image width in pixels (unset: from the file, else estimated)')
        group.add_argument('--height', type=positive_float, default=None,
                           help='image height in pixels (unset: from the file, else estimated)')
    group.add_argument('--score-threshold', type=probability, default=0.3,
                       help='points scored below this are interpolated')
    group.add_argument('--max-missing', type=probability, default=0.5,
                       help='refuse (a track) when a joint is missing in more than this fraction '
                            'of the frames')
    if not tracks:
        group.add_argument('--max-gap', type=non_negative_int, default=None,
                           help='refuse when a joint is missing in more consecutive frames (unset: '
                                'no limit)')


def add_camera_options(parser: argparse.ArgumentParser) -> None:
    """The camera of a trajectory model's camera-space poses (one of the two)."""
    group = parser.add_argument_group(
        'camera (trajectory checkpoints: poses_3d_camera)').add_mutually_exclusive_group()
    group.add_argument('--focal-length', type=focal_length, default=None, metavar='PIXELS',
                       help='focal length of the camera in pixels (unset: the one the model was '
                            'trained with, Human3.6M: a 47.1 degree horizontal field of view; '
                            'the depth of the camera-space poses scales with it)')
    group.add_argument('--fov', type=field_of_view, default=None, metavar='DEGREES',
                       help='horizontal field of view in degrees, instead of --focal-length '
                            '(unset: see --focal-length)')


def add_data_options(parser: argparse.ArgumentParser, training: bool) -> None:
    """Where the poses come from and which subjects and actions are used; ``training`` adds the
    training and validation subjects."""
    group = parser.add_argument_group('data')
    group.add_argument('--dataset', choices=DATASETS, default=None,
                       help='preset of the unset options (unset: h36m with --data-3d, else the '
                            'synthetic demo)')
    group.add_argument('--data-3d', metavar='FILE', default=None,
                       help='VideoPose3D 3D file (positions_3d, world metres); unset: the package '
                            'synthesises a small walking data set (synthetic demo)')
    group.add_argument('--data-2d', metavar='FILE|gt', default='gt',
                       help="VideoPose3D 2D file (positions_2d, pixels) or 'gt': project the 3D "
                            'with the cameras of --dataset, Human3.6M or HumanEva-I')
    group.add_argument('--noise-2d', metavar='PIXELS', type=non_negative_float, default=0.0,
                       help='add seeded noise to the 2D keypoints before normalisation: Gaussian '
                            'jitter with this std in pixels (per frame, joint and axis); '
                            f'{100 * NOISE_OUTLIER_RATE:g}%% of keypoints are outliers, '
                            f'displaced with {NOISE_OUTLIER_SCALE:g}x that std instead')
    if training:
        group.add_argument('--augment-2d', choices=AUGMENTATIONS_2D, default='none',
                           help="training subjects' 2D: 'detector' makes it detector-like from "
                                'the ground-truth projections (size-scaled per-joint noise, '
                                'joint-definition offsets, gaps, outliers, zoom and crop, the '
                                'last two not with --trajectory; seeded by --seed, instead of '
                                '--noise-2d); test and validation 2D stay as --data-2d / '
                                '--noise-2d make them')
        group.add_argument('--augment-2d-fraction', type=probability, default=1.0,
                           metavar='F',
                           help="with --augment-2d detector: the fraction of the training "
                                "sequences (per camera, seeded) whose 2D is detector-like; the "
                                "rest keep the clean 2D")
        group.add_argument('--train-subjects', type=subjects, metavar='S1,S5,...', default=None,
                           help='training subjects (unset: by dataset, h36m: S1,S5,S6,S7,S8)')
    group.add_argument('--test-subjects', type=subjects, metavar='S9,S11', default=None,
                       help='test subjects of the final table (unset: by dataset, h36m: S9,S11)')
    if training:
        group.add_argument('--validation-subjects', type=subjects, metavar='S9,...',
                           default=None,
                           help='subjects validated after every epoch (unset: the test subjects)')
    group.add_argument('--actions', type=actions, metavar='A,B,...', default=None,
                       help="actions to use, e.g. 'Walking,Eating' (sub-actions included; unset: "
                            'all)')
    group.add_argument('--synthetic-sequences', type=positive_int, default=None, metavar='N',
                       help='synthetic demo: sequences per subject (unset: 2)')
    group.add_argument('--synthetic-frames', type=positive_int, default=None, metavar='N',
                       help='synthetic demo: frames per sequence at 50 Hz (unset: 400)')
    group.add_argument('--downsample', type=positive_int, default=None,
                       help='keep every n-th frame for training and evaluation (unset: h36m 5, '
                            'i.e. 10 fps, below 243 frames, else 1; evaluate: as trained)')
    group.add_argument('--seed', type=int, default=0,
                       help='seed of initialisation, shuffling, dropout, 2D noise and the '
                            'synthetic demo')


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The architecture of a model to train; choices come from the model builder."""
    group = parser.add_argument_group('model')
    group.add_argument('--arch', choices=ARCHITECTURES, default='gast',
                       help='GAST-Net or the VideoPose3D temporal convolutional baseline')
    group.add_argument('--receptive-field', type=int, choices=RECEPTIVE_FIELDS, default=27,
                       help='frames each output sees')
    group.add_argument('--channels', type=positive_int, default=None,
                       help='width (unset: h36m 128 for gast, 1024 for tcn; synthetic 32 / 256)')
    group.add_argument('--causal', action='store_true', help='causal (real-time) model')
    group.add_argument('--trajectory', nargs='?', choices=TRAJECTORY_DESIGNS, const='shared',
                       default=None,
                       help="also predict the root's camera-space position (trained with the "
                            "depth-weighted root loss): 'shared' backbone with a root head (the "
                            "default without a value) or a 'separate' root backbone")
    group.add_argument('--dropout', type=probability, default=None,
                       help='dropout (unset: h36m 0.05 gast, 0.25 tcn; humaneva 0.5)')
    group.add_argument('--skeleton', default=None,
                       help='bundled skeleton name or YAML path (unset: by dataset)')
    for switch, what in COMPONENTS.items():
        group.add_argument(f'--{switch.replace("_", "-")}', action=argparse.BooleanOptionalAction,
                           default=True, help=f'GAST-Net only: {what} (off for the ablation)')


def add_evaluation_options(parser: argparse.ArgumentParser) -> None:
    """How the final table is computed and where it is written."""
    group = parser.add_argument_group('evaluation')
    group.add_argument('--test-flip', action=argparse.BooleanOptionalAction, default=True,
                       help='average each test prediction with the mirrored one')
    group.add_argument('--output-json', metavar='FILE', default=None,
                       help='write the evaluation (per action and average) as JSON')
    group.add_argument('--per-joint', action='store_true',
                       help='add the P1 error of every joint to the table and the JSON')
    add_precision_option(group)


def add_precision_option(group: argparse._ArgumentGroup) -> None:
    """``--precision`` of every command that lifts with a trained model."""
    group.add_argument('--precision', choices=PRECISIONS, default='float32',
                       help='arithmetic of the lifting: bfloat16 runs the matrix products under '
                            'torch.autocast (CPUs with AMX: 1.4x faster for 32 channels, 2.45x '
                            'for 128; within 0.1 mm P1 on real motion)')


def add_lifting_output_options(parser: argparse.ArgumentParser, render_metavar: str,
                               render_help: str) -> argparse._ArgumentGroup:
    """``--output``, ``--render`` and ``--flip`` of the commands that lift keypoints (``infer``,
    ``video``); returns the group for a command's own output options."""
    group = parser.add_argument_group('output')
    group.add_argument('--output', required=True, metavar='OUT.npz', help='the .npz to write')
    group.add_argument('--bvh', default=None, metavar='OUT.bvh',
                       help='also write one BVH animation per track, OUT_track{ID}.bvh (unset: '
                            'none; conventions in docs/motion.md)')
    group.add_argument('--render', default=None, metavar=render_metavar, help=render_help)
    group.add_argument('--flip', action='store_true',
                       help='average with the prediction on the mirrored input')
    add_precision_option(group)
    return group


def lifting_options(args: argparse.Namespace, image_size: bool = True) -> 'LiftingOptions':
    """The :class:`~gast_pyg.lifter.LiftingOptions` of ``infer`` / ``video`` options."""
    from gast_pyg.lifter import LiftingOptions
    size = (args.width, args.height) if image_size and args.width and args.height else None
    if image_size and (args.width is None) != (args.height is None):
        raise GastPygError('--width and --height go together: give both or neither')
    return LiftingOptions(score_threshold=args.score_threshold, max_missing=args.max_missing,
                          flip=args.flip, precision=args.precision, image_size=size,
                          focal_length=args.focal_length, fov=args.fov)


def add_runtime_options(parser: argparse.ArgumentParser, threads: Optional[int] = None,
                        device: bool = True, progress: bool = True) -> None:
    """Device, threads and progress bars."""
    group = parser.add_argument_group('runtime')
    if device:
        group.add_argument('--device', default='auto',
                           help="'auto' (CUDA if available), 'cpu', 'cuda', 'cuda:1', ...; "
                                'a GPU that is not there is refused')
    group.add_argument('--threads', type=positive_int, default=threads,
                       help='torch CPU threads per process (unset: GAST_PYG_THREADS, '
                            'OMP_NUM_THREADS, else every core this process may use; under '
                            'torchrun the cores divided by the local processes)'
                            if threads is None else 'torch CPU threads')
    if progress:
        group.add_argument('--progress', action=argparse.BooleanOptionalAction, default=True,
                           help='progress bars on a terminal (one line per epoch otherwise)')


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """``--config NAME|PATH``: a run configuration whose values replace the defaults (explicit
    options still win); see :func:`parse_arguments`."""
    parser.add_argument('--config', metavar='NAME|PATH', default=None,
                        help='run configuration (YAML of option values): a shipped one ('
                             f'{", ".join(available_configs())}) or a file; explicit options '
                             'override it')


def parse_arguments(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]] = None
                    ) -> argparse.Namespace:
    """Parse ``argv``; when it names a ``--config``, parse again with the configuration's values
    as the defaults of the command's parser (``parser.commands[NAME]`` for a parser with
    sub-commands), so explicit options override them. The namespace records the configuration's
    file as ``config`` and, as ``explicit``, the options the user chose: those given on the
    command line and those of a configuration file of their own (a shipped configuration is a
    preset, not a choice)."""
    args = parser.parse_args(argv)
    command = getattr(args, 'command', None)
    target = parser.commands[command] if command else parser
    args.explicit = {key for key, value in vars(args).items()
                     if key not in ('run', 'command') and value != target.get_default(key)}
    if getattr(args, 'config', None) is None:
        return args
    explicit = args.explicit
    path = config_path(args.config)
    values = read_config_file(path, extra=set(vars(args)) - {'config', 'run', 'command',
                                                             'explicit'})
    target.set_defaults(**values)
    args = parser.parse_args(argv)
    args.explicit = explicit | (set() if args.config in available_configs() else set(values))
    args.config = str(path)
    return args
