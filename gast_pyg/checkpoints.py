"""Checkpoints: the package's own (atomic, config embedded) and the authors'.

Every file is read with ``torch.load(..., weights_only=True)``; the authors'
training checkpoints additionally hold a pickled ``numpy.random.RandomState``,
for which exactly the NumPy constructors it needs are allow-listed.
"""
from __future__ import annotations

import io
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from gast_pyg.errors import GastPygError
from gast_pyg.files import write_bytes
from gast_pyg.models.builder import build_model
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

# Bundled skeleton of each joint count the authors' code supports.
REFERENCE_SKELETONS = {17: 'h36m', 16: 'h36m_sh', 15: 'humaneva', 19: 'h36m_toes'}


class CheckpointError(GastPygError):
    """A file that is not a usable checkpoint, or one that does not fit."""


def _numpy_globals() -> list:
    # An import, not attribute access: NumPy 1.26 loads its numpy._core shim lazily.
    from numpy._core.multiarray import _reconstruct as reconstruct
    from numpy.random import _pickle
    return [
        np.ndarray, np.dtype, type(np.dtype(np.uint32)), np.random.RandomState, np.random.MT19937,
        (reconstruct, 'numpy.core.multiarray._reconstruct'),
        (reconstruct, 'numpy._core.multiarray._reconstruct'),
        (_pickle.__randomstate_ctor, 'numpy.random._pickle.__randomstate_ctor'),
        (_pickle.__bit_generator_ctor, 'numpy.random._pickle.__bit_generator_ctor'),
    ]


def read_checkpoint(path: PathLike) -> Any:
    """``torch.load`` with ``weights_only=True`` (plus the NumPy random state
    of the authors' files); anything else is a :class:`CheckpointError`
    naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    with open(path, 'rb') as file:
        magic = file.read(4)
    # torch.save writes a zip archive; the legacy format starts with a pickle.
    if magic != b'PK\x03\x04' and magic[:1] != b'\x80':
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (starts with {magic!r})")
    try:
        with torch.serialization.safe_globals(_numpy_globals()):
            payload = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r'GLOBAL (\S+)', str(error))
        what = refused.group(1) if refused else 'an object that is not plain data or tensors'
        raise CheckpointError(f"{path}: refused to load: it asks for {what}, which a checkpoint "
                              "of weights never holds (nothing was run)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as error:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint "
                              f"(truncated or another format): {str(error)[:200]}") from error
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
        model = build_model(**config)
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

    model = GASTNet(skeleton, filter_widths, channels, causal=causal, dropout=dropout,
                    heads=heads, in_features=in_features)
    _load_strict(model, convert_reference_state_dict(state, model, source), source)
    return model.eval()

