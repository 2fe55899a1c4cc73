"""Checkpoints: the package's own (atomic, config embedded) and the authors'.

Every file is read with ``torch.load(..., weights_only=True)`` after its zip
entries were checked (:func:`check_archive`: sizes bounded before anything is
unpacked); the authors' training checkpoints additionally hold a pickled
``numpy.random.RandomState``, which is never needed: it is read as an inert
placeholder (:class:`UnreadRandomState`), so files pickled under any NumPy load.
A model a checkpoint describes is bounded before it is built
(:func:`check_model_config`: temporal layers, receptive field, channels, joints,
parameters).
"""
from __future__ import annotations

import io
import os
import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from gast_pyg.errors import GastPygError
from gast_pyg.files import write_bytes
from gast_pyg.models.builder import FILTER_WIDTHS, build_model, resolve_skeleton
from gast_pyg.models.base import LiftingModel
from gast_pyg.models.gastnet import GASTNet
from gast_pyg.nn import GlobalGraphAttention, GraphAttentionBlock, LocalAttention, SemGraphConv
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import bounded_repr, check_finite

PathLike = Union[str, os.PathLike]
FORMAT = 'gast-pyg'
FORMAT_VERSION = 1

#: Most objects (shared references counted at each occurrence) and deepest nesting
#: of a checkpoint read; a 243-frame model with its optimizer holds a few thousand.
MAX_OBJECTS = 1_000_000
MAX_DEPTH = 100

#: Most bytes the entries of a checkpoint archive may unpack to (a 100 M parameter model with
#: its optimizer state holds 1.6 GB), and most times the unpacked size of a compressed entry
#: may exceed its packed size (``torch.save`` stores entries unpacked; weights barely compress).
MAX_ARCHIVE_BYTES = 4 * 2**30
MAX_EXPANSION = 100
#: Bounds of a model a checkpoint describes, checked before it is built: the temporal layers
#: and receptive field of the shipped configurations, channels, joints, input features,
#: attention heads and parameters.
MAX_TEMPORAL_LAYERS = max(len(widths) for widths in FILTER_WIDTHS.values())
MAX_RECEPTIVE_FIELD = max(FILTER_WIDTHS)
MAX_CHANNELS = 4096
MAX_JOINTS = 1000
MAX_IN_FEATURES = 16
MAX_HEADS = 64
MAX_PARAMETERS = 100_000_000

# Bundled skeleton of each joint count the authors' code supports.
REFERENCE_SKELETONS = {17: 'h36m', 16: 'h36m_sh', 15: 'humaneva', 19: 'h36m_toes'}


class CheckpointError(GastPygError):
    """A file that is not a usable checkpoint, or one that does not fit."""


class UnreadRandomState:
    """Stands for a pickled NumPy ``RandomState`` or bit generator (the authors' ``random_state``
    entry): its state is dropped unread. NumPy 1.x cannot rebuild what NumPy 2 pickled (the bit
    generator is pickled as a class, not a name), and no model needs it."""

    def __init__(self, *args: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


# Every way a NumPy 1.x or 2.x pickle names a random state's constructors and bit generators.
_RANDOM_STATE_GLOBALS = [f'numpy.random._pickle.{name}' for name in (
    '__randomstate_ctor', '__bit_generator_ctor', '__generator_ctor')] + [
    f'numpy.random.{module}.{name}' for module, name in (
        ('mtrand', 'RandomState'), ('_mt19937', 'MT19937'), ('_pcg64', 'PCG64'),
        ('_pcg64', 'PCG64DXSM'), ('_philox', 'Philox'), ('_sfc64', 'SFC64'))]


def _numpy_globals() -> list:
    # An import, not attribute access: NumPy 1.26 loads its numpy._core shim lazily.
    from numpy._core.multiarray import _reconstruct as reconstruct
    return [
        np.ndarray, np.dtype, type(np.dtype(np.uint32)), UnreadRandomState,
        (reconstruct, 'numpy.core.multiarray._reconstruct'),
        (reconstruct, 'numpy._core.multiarray._reconstruct'),
        *((UnreadRandomState, name) for name in _RANDOM_STATE_GLOBALS),
    ]


def check_archive(path: PathLike) -> None:
    """Raise a :class:`CheckpointError` unless the zip archive ``path`` (``torch.save``'s
    format) unpacks to at most :data:`MAX_ARCHIVE_BYTES`, every entry is stored or deflated and
    none expands more than :data:`MAX_EXPANSION`-fold: a small file cannot make the reading
    allocate gigabytes (a zip bomb). Only the archive's directory is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (a damaged zip "
                              f"archive): {str(error)[:200]}") from None
    total = 0
    for entry in entries:
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(f"{path}: entry {entry.filename[:100]!r} uses compression "
                                  f"method {entry.compress_type}; expected stored or deflated")
        if (entry.compress_type == zipfile.ZIP_DEFLATED and entry.file_size > 2**20
                and entry.file_size > MAX_EXPANSION * entry.compress_size):
            raise CheckpointError(
                f"{path}: refused: entry {entry.filename[:100]!r} unpacks {entry.compress_size} "
                f"bytes to {entry.file_size} (more than {MAX_EXPANSION}x: a zip bomb?); "
                "checkpoints of weights barely compress")
        total += entry.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise CheckpointError(f"{path}: refused: its entries unpack to {total} bytes, more than "
                              f"the {MAX_ARCHIVE_BYTES} of any checkpoint gast-pyg reads")


def read_checkpoint(path: PathLike) -> Any:
    """``torch.load`` with ``weights_only=True`` (plus the NumPy random state
    of the authors' files); anything else is a :class:`CheckpointError`
    naming the file."""
    path = Path(path)
    if not path.is_file():
        what = ('is a directory, expected a checkpoint file' if path.is_dir()
                else 'is not a regular file (a device, pipe or socket), expected a checkpoint '
                'file' if path.exists() else 'no such checkpoint file')
        raise CheckpointError(f"{path}: {what}")
    with open(path, 'rb') as file:
        magic = file.read(4)
    # torch.save writes a zip archive; the legacy format starts with a pickle.
    if magic == b'PK\x03\x04':
        check_archive(path)
    elif magic[:1] != b'\x80' or len(magic) < 2:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (starts with {magic!r})")
    try:
        with torch.serialization.safe_globals(_numpy_globals()), warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)  # torch's notes on pickle protocols
            payload = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r'GLOBAL (\S+)', str(error))
        if refused is None:
            reason = re.search(r'WeightsUnpickler error:\s*(.+?)\s*(?:Check the documentation|$)',
                               str(error), re.S)
            detail = ' '.join((reason.group(1) if reason else type(error).__name__).split())
            raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (a damaged or "
                                  f"foreign pickle: {detail[:200]})") from None
        raise CheckpointError(f"{path}: refused to load: it asks for {refused.group(1)}, which "
                              "a checkpoint of weights never holds (nothing was run)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, TypeError,
            IndexError, KeyError, AttributeError, RecursionError, MemoryError) as error:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (truncated or another "
                              f"format): {type(error).__name__}: {str(error)[:200]}") from None
    check_structure(payload, str(path))
    return payload


def check_structure(payload: Any, source: str) -> None:
    """Raise a :class:`CheckpointError` if ``payload`` nests deeper than
    :data:`MAX_DEPTH` or holds more than :data:`MAX_OBJECTS` objects once shared
    references are counted each time they occur (what any traversal, a message
    included, would visit)."""
    stack = [(payload, 0)]
    visited = 0
    while stack:
        value, depth = stack.pop()
        visited += 1
        if visited > MAX_OBJECTS or depth > MAX_DEPTH:
            reason = (f"more than {MAX_OBJECTS} objects" if visited > MAX_OBJECTS
                      else f"containers nested more than {MAX_DEPTH} deep")
            raise CheckpointError(f"{source}: refused: it holds {reason} (shared references "
                                  "repeating each other?); a checkpoint of weights holds far fewer")
        if isinstance(value, Mapping):
            stack.extend((child, depth + 1) for item in value.items() for child in item)
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((child, depth + 1) for child in value)


def _count(value: Any) -> Optional[int]:
    """``value`` when it is an integer (not a bool), else ``None`` (the builder refuses it)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _parameters(config: Mapping[str, Any]) -> int:
    """The parameters of the model ``config`` describes, without building it: every model is
    a quadratic polynomial in its channels for a fixed structure, so three copies with 1, 2
    and 3 times the heads' channels fix it exactly."""
    step = _count(config.get('heads')) or 4
    structure = {key: value for key, value in config.items() if key != 'channels'}
    counts = [_parameters_of(structure, k * step) for k in (1, 2, 3)]
    second = counts[2] - 2 * counts[1] + counts[0]  # second difference over steps of one
    k = _count(config.get('channels'))
    k = (k if k is not None else 128) / step
    return round(counts[0] + (k - 1) * (counts[1] - counts[0]) + (k - 1) * (k - 2) / 2 * second)


_PARAMETER_COUNTS: Dict[Tuple[str, int], int] = {}


def _parameters_of(structure: Mapping[str, Any], channels: int) -> int:
    """Parameters of a model of ``structure`` with ``channels`` (remembered by the structure's
    ``repr``: the same configurations are checked again and again)."""
    key = (repr(sorted(structure.items())), channels)
    if key not in _PARAMETER_COUNTS:
        if len(_PARAMETER_COUNTS) >= 256:
            _PARAMETER_COUNTS.clear()
        _PARAMETER_COUNTS[key] = sum(
            p.numel() for p in build_model(**structure, channels=channels).parameters())
    return _PARAMETER_COUNTS[key]


def check_model_config(config: Mapping[str, Any], source: str) -> None:
    """Raise a :class:`CheckpointError` naming ``source`` and the option when the model that
    ``config`` (the options of :func:`~gast_pyg.models.build_model`) describes exceeds the
    bounds of this module: more than :data:`MAX_TEMPORAL_LAYERS` temporal layers or a receptive
    field over :data:`MAX_RECEPTIVE_FIELD` frames, more than :data:`MAX_CHANNELS` channels,
    :data:`MAX_JOINTS` joints, :data:`MAX_IN_FEATURES` input features, :data:`MAX_HEADS` heads
    or :data:`MAX_PARAMETERS` parameters. Checked before anything is allocated; options of the
    wrong type are left to the builder's own messages."""
    def refuse(option: str, value: Any, bound: str) -> CheckpointError:
        return CheckpointError(f"{source}: 'config' {option}={bounded_repr(value, 60)}: {bound}; "
                               "refused before building the model")

    widths = config.get('filter_widths')
    if isinstance(widths, (list, tuple)):
        if len(widths) > MAX_TEMPORAL_LAYERS:
            raise refuse('filter_widths', widths, f'{len(widths)} temporal layers, at most '
                         f'{MAX_TEMPORAL_LAYERS} expected')
        counts = [_count(width) for width in widths]
        if None not in counts and int(np.prod(counts, dtype=object)) > MAX_RECEPTIVE_FIELD:
            raise refuse('filter_widths', widths, f'a receptive field over {MAX_RECEPTIVE_FIELD} '
                         'frames')
    for option, bound in (('channels', MAX_CHANNELS), ('in_features', MAX_IN_FEATURES),
                          ('heads', MAX_HEADS)):
        value = _count(config.get(option))
        if value is not None and value > bound:
            raise refuse(option, value, f'expected at most {bound}')
    if 'skeleton' in config:
        try:
            joints = resolve_skeleton(config['skeleton']).num_joints
        except (TypeError, ValueError, OSError) as error:
            raise CheckpointError(f"{source}: 'config' skeleton: {error}") from None
        if joints > MAX_JOINTS:
            raise refuse('skeleton', f'{joints} joints', f'expected at most {MAX_JOINTS} joints')
    parameters = _parameters(config)
    if parameters > MAX_PARAMETERS:
        raise CheckpointError(f"{source}: 'config' describes a model of {parameters:,} "
                              f"parameters, more than the {MAX_PARAMETERS:,} gast-pyg builds; "
                              "refused before building it")


def save_checkpoint(path: PathLike, model: LiftingModel, **extra: Any) -> Path:
    """Write ``model`` (config embedded) and ``extra`` entries (epoch,
    optimizer state, ...) to ``path`` atomically: a temporary file in the
    same folder renamed over the target, so an interrupted write never leaves
    a partial checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(extra, format=FORMAT, format_version=FORMAT_VERSION,
                   config=model.config, state_dict=model.state_dict())
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes(path, buffer.getbuffer())
    return path


def is_gast_pyg_checkpoint(payload: Any) -> bool:
    """Whether a read payload is one of :func:`save_checkpoint`'s (its ``format`` entry)."""
    return isinstance(payload, Mapping) and payload.get('format') == FORMAT


def load_checkpoint(path: PathLike) -> Dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    payload = read_checkpoint(path)
    if not is_gast_pyg_checkpoint(payload):
        raise CheckpointError(f"{path}: not a gast-pyg checkpoint (no 'format': '{FORMAT}' entry); "
                              f"for the authors' files use gast_pyg.load_model")
    for key in ('config', 'state_dict'):
        if key not in payload:
            raise CheckpointError(f"{path}: gast-pyg checkpoint without its '{key}' entry")
    return payload


def model_from_payload(payload: Mapping[str, Any], source: str) -> LiftingModel:
    """The model a :func:`save_checkpoint` payload describes, with its weights."""
    config = payload['config']
    if not isinstance(config, Mapping) or not all(isinstance(key, str) for key in config):
        raise CheckpointError(f"{source}: 'config': expected a dict of model options, "
                              f"got {bounded_repr(config)}")
    try:
        check_model_config(config, source)
        model = build_model(**config)
    except CheckpointError:
        raise
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{source}: 'config' does not describe a model: {error}") from error
    restore_weights(model, payload, source=source)
    return model


def restore_weights(model: LiftingModel, checkpoint: Union[PathLike, Mapping[str, Any]],
                    source: Optional[str] = None) -> LiftingModel:
    """Put the weights of a :func:`save_checkpoint` file (or its payload) back into ``model``
    (resuming a run), after checking that it was saved from the same configuration; models to
    use are loaded with :func:`gast_pyg.load_model`."""
    if not isinstance(checkpoint, Mapping):
        source = str(checkpoint)
        checkpoint = load_checkpoint(checkpoint)
    source = source or 'checkpoint'
    saved, current = checkpoint['config'], model.config
    for key in sorted(set(saved) | set(current)):
        if saved.get(key) != current.get(key):
            raise CheckpointError(f"{source}: saved with {key}={bounded_repr(saved.get(key))}, "
                                  f"the model has {key}={bounded_repr(current.get(key))}")
    _load_strict(model, checkpoint['state_dict'], source)
    return model


def _load_strict(model: torch.nn.Module, state_dict: Mapping[str, Tensor], source: str) -> None:
    check_finite(((f"weight {key!r}", value) for key, value in state_dict.items()
                  if isinstance(value, Tensor)), source, CheckpointError)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{source}: weights do not fit the model: "
                              f"{str(error)[:500]}") from error


# --------------------------------------------------------------------------
# The authors' checkpoints (fabro66/GAST-Net-3DPoseEstimation).


def _reference_state_dict(checkpoint: Any, source: str) -> Dict[str, Tensor]:
    if isinstance(checkpoint, Mapping) and 'model_pos' in checkpoint:
        checkpoint = checkpoint['model_pos']
    if not isinstance(checkpoint, Mapping) or not all(
            isinstance(key, str) and isinstance(value, Tensor) for key, value in checkpoint.items()):
        raise CheckpointError(f"{source}: neither a state dict nor a dict with 'model_pos'")
    state = {key[len('module.'):] if key.startswith('module.') else key: value
             for key, value in checkpoint.items()}
    for key in ('init_bn.weight', 'expand_conv.weight', 'shrink.weight',
                'layers_graph_conv.0.global_graph_layer.attentions.0.C_k'):
        if key not in state:
            raise CheckpointError(f"{source}: not a GAST-Net checkpoint: no '{key}'")
    return state


def _copy_batch_norm(state: Mapping[str, Tensor], src: str, dst: str, out: Dict[str, Tensor]) -> None:
    for name in ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'):
        out[dst + name] = state[src + name]


def _pointwise(weight: Tensor) -> Tensor:
    return weight.reshape(weight.size(0), weight.size(1))


def _edge_rank(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Position of each edge in the row-major (target, source) order of the
    reference's masks."""
    key = edge_index[1] * num_nodes + edge_index[0]
    return key.argsort().argsort()


def _convert_sem_conv(state, src: str, conv: SemGraphConv, dst: str, out, where: str) -> None:
    weight, logits = state[src + 'W'], state[src + 'e']
    if logits.size(1) != conv.edge_logit.size(0):
        raise CheckpointError(
            f"{where}: the checkpoint has {logits.size(1)} edge weights, the skeleton's graph "
            f"has {conv.edge_logit.size(0)} edges (is it the right skeleton?)")
    out[dst + 'weight'] = weight.transpose(1, 2).flatten(0, 1)
    out[dst + 'edge_logit'] = logits.t()[_edge_rank(conv.edge_index, conv.num_nodes)]


def _convert_local(state, src: str, local: LocalAttention, dst: str, out, where: str) -> None:
    names = {'symmetric': ('gcn_sym.', 'bn_1.'), 'connection': ('gcn_con.', 'bn_2.')}
    for name, conv in local.convs.items():
        conv_key, norm_key = names[name]
        _convert_sem_conv(state, src + conv_key, conv, f'{dst}convs.{name}.', out,
                          f'{where}, {name} graph')
        _copy_batch_norm(state, src + norm_key, f'{dst}norms.{name}.', out)
    out[dst + 'lin.weight'] = _pointwise(state[src + 'cat_conv.weight'])
    _copy_batch_norm(state, src + 'cat_bn.', dst + 'norm.', out)


def _convert_global(state, src: str, layer: GlobalGraphAttention, dst: str, out, where: str) -> None:
    heads = range(layer.heads)
    found = sum(1 for key in state if key.startswith(f'{src}attentions.') and key.endswith('.C_k'))
    if found != layer.heads:
        raise CheckpointError(f"{where}: the checkpoint has {found} global attention heads, "
                              f"the model {layer.heads}")

    def stacked(name: str) -> Tensor:
        return torch.cat([state[f'{src}attentions.{k}.{name}'] for k in heads])

    for name, lin in (('g', 'lin_g'), ('theta', 'lin_theta'), ('phi', 'lin_phi')):
        out[f'{dst}{lin}.weight'] = stacked(f'{name}.weight').squeeze(-1)
        out[f'{dst}{lin}.bias'] = stacked(f'{name}.bias')
    project = torch.stack([state[f'{src}attentions.{k}.concat_project.0.weight'].flatten()
                           for k in heads])
    out[dst + 'att_theta'], out[dst + 'att_phi'] = project.chunk(2, dim=1)
    out[dst + 'adaptive'] = torch.stack([state[f'{src}attentions.{k}.C_k'] for k in heads])
    out[dst + 'lin_out.weight'] = _pointwise(state[src + 'cat_conv.weight'])
    _copy_batch_norm(state, src + 'cat_bn.', dst + 'norm.', out)


def convert_reference_block(state: Mapping[str, Tensor], block: GraphAttentionBlock,
                            src: str = '', dst: str = '', where: str = 'block',
                            out: Optional[Dict[str, Tensor]] = None) -> Dict[str, Tensor]:
    """Map the reference's ``GraphAttentionBlock`` entries under ``src`` onto
    ``block``'s state dict keys under ``dst``."""
    out = {} if out is None else out
    _convert_local(state, src + 'local_graph_layer.', block.local, dst + 'local.', out, where)
    _convert_global(state, src + 'global_graph_layer.', block.glob, dst + 'glob.', out, where)
    out[dst + 'lin.weight'] = _pointwise(state[src + 'cat_conv.weight'])
    _copy_batch_norm(state, src + 'cat_bn.', dst + 'norm.', out)
    return out


def convert_reference_state_dict(state: Mapping[str, Tensor], model: GASTNet,
                                 source: str = 'checkpoint') -> Dict[str, Tensor]:
    """The authors' ``SpatioTemporalModel`` state dict in ``model``'s keys and layouts.

    Per-edge weights are reordered from the reference's row-major mask order
    onto each layer's ``edge_index``."""
    out: Dict[str, Tensor] = {}
    _copy_batch_norm(state, 'init_bn.', 'input_norm.', out)
    out['expand.weight'] = state['expand_conv.weight']
    _copy_batch_norm(state, 'expand_bn.', 'expand_norm.', out)
    for i, block in enumerate(model.blocks):
        convert_reference_block(state, block, f'layers_graph_conv.{i}.', f'blocks.{i}.',
                                f'{source}: graph attention block {i}', out)
    for i in range(len(model.temporal)):
        out[f'temporal.{i}.conv.weight'] = state[f'layers_conv.{2 * i}.weight']
        _copy_batch_norm(state, f'layers_bn.{2 * i}.', f'temporal.{i}.conv_norm.', out)
        out[f'temporal.{i}.pointwise.weight'] = _pointwise(state[f'layers_conv.{2 * i + 1}.weight'])
        _copy_batch_norm(state, f'layers_bn.{2 * i + 1}.', f'temporal.{i}.pointwise_norm.', out)
    out['shrink.weight'] = _pointwise(state['shrink.weight'])
    return out


def model_from_reference(
    state: Mapping[str, Any],
    skeleton: Union[str, PathLike, Skeleton, None] = None,
    causal: bool = False,
    dropout: float = 0.05,
) -> GASTNet:
    """A :class:`GASTNet` in eval mode from the authors' weights in memory: a training
    checkpoint's dict (``model_pos`` beside ``epoch``/``lr``/``optimizer``/``random_state``) or a
    bare state dict, keys possibly prefixed ``module.``; files go through
    :func:`gast_pyg.load_model`.

    Filter widths, channels, heads, input features and joint count come from the tensors;
    ``skeleton`` (default: the bundled skeleton the reference uses for that joint count) must
    match them. ``causal`` cannot be read from the weights.
    """
    return reference_model(state, 'state dict', skeleton, causal, dropout)


def reference_model(raw: Any, source: str, skeleton: Union[str, PathLike, Skeleton, None],
                    causal: bool, dropout: float = 0.05) -> GASTNet:
    """The authors' model of a read payload (see :func:`model_from_reference`)."""
    state = _reference_state_dict(raw, source)

    expand = state['expand_conv.weight']
    channels, in_features, width = expand.shape[:3]
    filter_widths = [width]
    while f'layers_conv.{2 * len(filter_widths) - 2}.weight' in state:
        filter_widths.append(state[f'layers_conv.{2 * len(filter_widths) - 2}.weight'].size(2))
    num_joints = state['layers_graph_conv.0.global_graph_layer.attentions.0.C_k'].size(0)
    heads = sum(1 for key in state
                if key.startswith('layers_graph_conv.0.global_graph_layer.attentions.')
                and key.endswith('.C_k'))

    if skeleton is None:
        if num_joints not in REFERENCE_SKELETONS:
            raise CheckpointError(f"{source}: {num_joints} joints; the reference supports "
                                  f"{sorted(REFERENCE_SKELETONS)}: pass skeleton=...")
        skeleton = REFERENCE_SKELETONS[num_joints]
    if not isinstance(skeleton, Skeleton):
        skeleton = Skeleton.load(skeleton)
    if skeleton.num_joints != num_joints:
        raise CheckpointError(f"{source}: the checkpoint has {num_joints} joints, skeleton "
                              f"'{skeleton.name}' has {skeleton.num_joints}")

    check_model_config(dict(arch='gast', skeleton=skeleton.to_dict(), filter_widths=filter_widths,
                            channels=channels, heads=heads, in_features=in_features), source)
    model = GASTNet(skeleton, filter_widths, channels, causal=causal, dropout=dropout,
                    heads=heads, in_features=in_features)
    _load_strict(model, convert_reference_state_dict(state, model, source), source)
    return model.eval()

