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
    _check_training(config)
    _check_machine(config)
    for request in protocol.requests(config):
        _check_dataset(config, protocol, request.dataset, request.subjects)


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


def _check_dataset(
    config: RunConfig, protocol, name: str, subjects: tuple[int, ...] | None
) -> None:
    from ..data import resolve_dataset
    from ..models import build_model

    dataset = resolve_dataset(name)
    reason = protocol.is_valid(dataset)
    if reason is not None:
        raise ValueError(reason)
    lacking = sorted(set(subjects or ()) - set(dataset.subject_list))
    if lacking:
        listed = dataset.subject_list
        raise ConfigError(
            "data.subjects",
            f"names subject(s) {lacking} that {name} lacks; its subjects: "
            f"{listed[0]}-{listed[-1]}",
        )
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
