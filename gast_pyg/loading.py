"""The one way to load a model for use: :func:`load_model`.

It takes a shipped model's name (``gast-pyg models``), a gast-pyg checkpoint or an authors'
``.bin`` and returns a float32 model in eval mode through one set of checks: the file is read
without running code (``weights_only``, :func:`~gast_pyg.checkpoints.read_checkpoint`, with its
size, archive and structure bounds), the configuration is bounded before a model is built, a
shipped file must have its registered sha256 and hold the configuration the registry states.
What was loaded is recorded on the model as ``model.origin`` (:class:`ModelOrigin`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from gast_pyg.checkpoints import (
    CheckpointError,
    is_gast_pyg_checkpoint,
    model_from_payload,
    read_checkpoint,
    reference_model,
)
from gast_pyg.models.base import LiftingModel
from gast_pyg.pretrained import PretrainedModel, RegistryLike, load_registry, verified_file
from gast_pyg.skeleton import Skeleton

__all__ = ['load_model', 'ModelOrigin', 'CHECKPOINT_SUFFIXES']

PathLike = Union[str, os.PathLike]

#: Suffixes that make a value a path rather than a shipped model's name.
CHECKPOINT_SUFFIXES = ('.pt', '.pth', '.bin', '.ckpt', '.tar')


@dataclass(frozen=True)
class ModelOrigin:
    """Where a model of :func:`load_model` came from.

    Attributes:
        source: The value given (a name or a path), ``None`` for the shipped default.
        path: The file read.
        kind: ``'shipped'``, ``'gast-pyg'`` (a checkpoint of ``gast-pyg train``) or
            ``'reference'`` (the authors').
        epoch: The checkpoint's epoch, when it records one.
        training: The options the run recorded (gast-pyg checkpoints), else empty.
        entry: The registry entry of a shipped model.
    """

    source: Optional[str]
    path: Path
    kind: str
    epoch: Optional[int] = None
    training: dict[str, Any] = field(default_factory=dict)
    entry: Optional[PretrainedModel] = None


def load_model(source: Optional[PathLike] = None, *,
               skeleton: Union[str, PathLike, Skeleton, None] = None, causal: bool = False,
               registry: RegistryLike = None) -> LiftingModel:
    """A float32 model in eval mode, with ``model.origin`` set.

    Args:
        source: An existing checkpoint file (the package's own or the authors', told apart by
            content), a shipped model's name, or ``None``: the shipped default (the default
            causal model with ``causal=True``). A value with a folder or a checkpoint suffix
            (:data:`CHECKPOINT_SUFFIXES`) is always a path.
        skeleton: For the authors' files, the skeleton (default: by joint count); for the
            package's own, a check that the model has it.
        causal: For the authors' files, that the model is causal (the weights cannot tell);
            for the package's own and shipped ones, a requirement.
        registry: Another registry of shipped models (a file), for tests and packaging.

    Raises:
        CheckpointError: A file that cannot be read, does not describe a model within the
            bounds, or does not fit ``skeleton`` / ``causal``.
        PretrainedError: An unknown name (the known ones listed), or a shipped file that is
            missing, fails its sha256 or holds another configuration than registered.
    """
    text = None if source is None else os.fspath(source)
    entry = None
    if text is not None and (Path(text).is_file() or os.sep in text or '/' in text
                             or Path(text).suffix.lower() in CHECKPOINT_SUFFIXES):
        path = Path(text)
    else:
        registry_ = load_registry(registry)
        entry = registry_.default(causal) if text is None else registry_.get(text)
        path = verified_file(entry)
    payload = read_checkpoint(path)
    epoch = payload.get('epoch') if isinstance(payload, dict) else None
    epoch = epoch if type(epoch) is int else None
    if is_gast_pyg_checkpoint(payload):
        model = model_from_payload(payload, str(path))
        training = payload.get('training')
        origin = ModelOrigin(text, path, 'shipped' if entry else 'gast-pyg', epoch,
                             dict(training) if isinstance(training, dict) else {}, entry)
        if entry is not None:
            entry.check_model(model)
        if skeleton is not None:
            wanted = skeleton if isinstance(skeleton, Skeleton) else Skeleton.load(skeleton)
            if wanted.joint_names != model.skeleton.joint_names:
                raise CheckpointError(
                    f"{path}: the checkpoint is for skeleton '{model.skeleton.name}' "
                    f"({model.num_joints} joints), not '{wanted.name}' ({wanted.num_joints})")
        if causal and not model.causal:
            raise CheckpointError(
                f"{path}: the checkpoint holds a non-causal model, a causal one is needed "
                "(train it with gast-pyg train --causal; the causal option only describes the "
                "authors' checkpoints)")
    else:
        model = reference_model(payload, str(path), skeleton, causal)
        origin = ModelOrigin(text, path, 'reference', epoch)
    model = model.float().eval()
    model.origin = origin
    return model
