"""Everything about a configuration that can be checked before any data are loaded.

:class:`~bci_attn.config.RunConfig` checks each option and the rules between them when it
is made; :func:`validate` adds what needs the registries and the machine: the protocol's
rules, the dataset (its name, sessions, subjects), the backbone, the attention module, its
options and insertion points (by building the model on a map of about the data's size),
the augmentations, the logger's package, and the accelerator and devices this machine has.
Nothing is created before it passes.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.schema import ConfigError
from .protocols import check_protocol

if TYPE_CHECKING:
    from ..config import RunConfig


def validate(config: RunConfig) -> None:
    """Check ``config`` against the registries, the datasets and this machine.

    Raises
    ------
    ConfigError
        An option value that cannot work, naming the option.
    ValueError
        An unknown dataset, or one that cannot serve the protocol.
    """
    protocol = check_protocol(config)
    _check_model(config)
    _check_training(config)
    _check_paths(config)
    _check_machine(config)
    for request in protocol.requests(config):
        _check_dataset(config, protocol, request)


def _check_model(config: RunConfig) -> None:
    """The backbone, the attention module, its options and its insertion points."""
    from .. import attention
    from ..models import get_backbone

    model = config.model
    get_backbone(model.backbone).check_points(model.attention_at or [])
    if model.attention not in attention.available():
        raise ConfigError(
            "model.attention",
            f"must be one of {', '.join(attention.available())}, got {model.attention!r}",
        )
    try:
        attention.get_spec(model.attention).resolve(model.attention_options)
    except ValueError as error:
        raise ConfigError("model.attention_options", f": {error}") from None


def _check_paths(config: RunConfig) -> None:
    """The run folder, the data folder and the cache: folders, or creatable and writable."""
    from .preparation import cache_folder

    paths = {
        "execution.out": config.execution.out,
        "data.cache_dir": str(cache_folder(config)),
        "data.data_dir": config.data.data_dir,
    }
    for key, given in paths.items():
        if given is None:
            continue
        path = Path(given).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(key, f"must be a folder, and {given} is a file")
        existing = next((p for p in (path, *path.parents) if p.exists()), None)
        writable = existing is not None and os.access(existing, os.W_OK | os.X_OK)
        if not writable and (key != "data.data_dir" or not path.exists()):
            raise ConfigError(
                key, f"must be a folder this user can write, and {existing or given} is not"
            )


def _check_training(config: RunConfig) -> None:
    from ..training.augmentation import check_augmentation

    training = config.training
    check_augmentation(
        list(training.augment), training.augment_probability, training.augment_options
    )
    if config.execution.logger == "tensorboard" and not importlib.util.find_spec("tensorboard"):
        raise ConfigError(
            "execution.logger",
            "tensorboard needs the tensorboard package: pip install tensorboard",
        )


def _check_machine(config: RunConfig) -> None:
    """The accelerator and device count this machine can give."""
    import torch

    execution = config.execution
    if execution.accelerator in ("gpu", "cuda"):
        available = torch.cuda.device_count()
        if available == 0:
            raise ConfigError(
                "execution.accelerator",
                f"is {execution.accelerator} but this machine has no CUDA GPU; use auto or cpu",
            )
        if execution.devices > available:
            raise ConfigError(
                "execution.devices",
                f"must be at most {available} (the GPUs of this machine), got {execution.devices}",
            )
    elif execution.accelerator == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("execution.accelerator", "is mps but this machine has no MPS device")
    elif execution.devices > 1 and not torch.cuda.is_available():
        raise ConfigError(
            "execution.devices",
            f"must be 1 on a machine without GPU (CPU training uses one process; threads are "
            f"set by OMP_NUM_THREADS), got {execution.devices}",
        )


def _check_dataset(config: RunConfig, protocol, request) -> None:
    from ..data import Preprocessing, resolve_dataset
    from ..data.loading import check_window, choose_classes

    try:
        dataset = resolve_dataset(request.dataset, config.data.executed)
    except ConfigError:
        raise
    except ValueError as error:
        raise ConfigError(request.dataset_key, f": {error}") from None
    reason = protocol.is_valid(dataset)
    if reason is not None:
        raise ConfigError("evaluation.protocol", f": {reason}")
    lacking = sorted(set(request.subjects or ()) - set(dataset.subject_list))
    if lacking:
        listed = dataset.subject_list
        raise ConfigError(
            request.subjects_key,
            f"names subject(s) {lacking} that {request.dataset} lacks; its subjects: "
            f"{listed[0]}-{listed[-1]}",
        )
    check_window(dataset, config.data.tmin, config.data.tmax)
    choose_classes(dataset, Preprocessing.from_config(config.data))
    _check_model_fits(config, dataset)


def _check_model_fits(config: RunConfig, dataset) -> None:
    from ..models import build_model

    # The model on a map of about the data's size: attention that cannot sit at its point
    # (electrode attention after the spatial filter, ...) fails here, not after training.
    data = config.data
    length = (data.tmax or dataset.interval[1] - dataset.interval[0]) - data.tmin
    sfreq = data.resample or 128.0
    model = config.model
    try:
        build_model(
            model.backbone,
            model.attention,
            model.attention_at,
            n_chans=8,
            n_times=max(32, int(length * sfreq)),
            n_outputs=2,
            sfreq=sfreq,
            attention_options=model.attention_options,
            **model.backbone_options,
        )
    except TypeError as error:  # a braindecode option the model does not take
        raise ConfigError(
            "model.backbone_options", f"has an option {model.backbone} does not take ({error})"
        ) from None
