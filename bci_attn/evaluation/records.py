"""A run folder's ``config.json``: the configuration, what the data resolved it to, and
the trained models it lets one rebuild.

The record holds the options (:meth:`RunConfig.to_dict`) and, under ``resolved``, what
loading the data and building the model decided (subjects, classes, electrodes, shapes,
insertion points, folds, notes) and how the test subjects' unlabelled trials were used.
Folders written by bci-attn 0.1 hold a flat record (options and resolved values by name):
they are read as they are.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..config import RunConfig, from_stored
from .folder import RESOLVED, RunFolder

if TYPE_CHECKING:
    from torch import nn

    from .preparation import Prepared


def record(config: RunConfig, ready: Prepared) -> dict[str, Any]:
    """What ``config.json`` holds for ``config`` on its prepared data."""
    import bci_attn

    from .. import attention
    from ..models import resolve_points

    spec = attention.get_spec(config.model.attention)
    data, evaluation = ready.data, config.evaluation
    calibration = None
    if evaluation.calibration_trials:
        calibration = (
            f"N = {', '.join(map(str, evaluation.calibration_trials))} trials per class from "
            "each test subject's first session in time order; fine-tuning "
            f"'{evaluation.finetune}' for {evaluation.calibration_steps} steps; N = 0 and "
            f"every N tested on the same trials (those after the "
            f"{max(evaluation.calibration_trials)} per class)"
        )
    alignment = None
    if config.data.align == "euclidean":
        alignment = (
            "each subject-session's own unlabelled trials (test trials included, no labels)"
        )
        if evaluation.calibration_trials:
            alignment += "; a test subject's calibration and test trials are aligned together"
    return {
        **config.to_dict(),
        "resolved": {
            "subjects": sorted(int(s) for s in data.meta["subject"].unique()),
            "classes": data.classes,
            "n_chans": data.n_chans,
            "n_times": data.n_times,
            "sfreq": data.sfreq,
            "ch_names": data.ch_names,
            "attention_at": resolve_points(
                config.model.backbone, config.model.attention, config.model.attention_at
            ),
            # every option of the attention module, defaults filled: what it computed,
            # whatever later versions make their defaults
            "attention_options": spec.resolve(config.model.attention_options),
            "attention_version": spec.version,
            "alignment_uses": alignment,
            "adaptation_uses": (
                f"{evaluation.adapt}: each test subject's own unlabelled test trials (no labels)"
                if evaluation.adapt != "none"
                else None
            ),
            "trained_on": (
                "imagery and executed movements of the training subjects; validation and "
                "tests on imagery alone"
                if config.data.executed
                else "imagery"
            ),
            "calibration": calibration,
            "notes": data.notes,
            "folds": [f.name for f in ready.folds],
        },
        "bci_attn_version": bci_attn.__version__,
    }


def is_flat(stored: dict) -> bool:
    """Whether a record is bci-attn 0.1's flat one (no ``resolved`` section)."""
    return "resolved" not in stored


def config_of(stored: dict) -> RunConfig:
    """The configuration of a stored record (either layout)."""
    return from_stored(stored)


def resolved_of(stored: dict) -> dict[str, Any]:
    """What the data resolved a stored record's options to (either layout)."""
    return stored if is_flat(stored) else stored["resolved"]


def attention_options(stored: dict) -> dict[str, Any]:
    """Every option of a record's attention module as it computed: the resolved options a
    record stores, or, for a record of bci-attn 0.1 (which stored the options given),
    those options over what version 1 of the module computed."""
    from .. import attention

    resolved = resolved_of(stored)
    if not is_flat(stored) and "attention_options" in resolved:
        return resolved["attention_options"]
    config = config_of(stored)
    spec = attention.get_spec(config.model.attention)
    return spec.resolve(
        config.model.attention_options, version=resolved.get("attention_version", 1)
    )


def identity(stored: dict) -> dict[str, Any]:
    """What decides a record's results, by option name: the options that change results,
    with ``subjects``, ``classes`` and ``attention_at`` as the data resolved them, every
    option of the attention module as it computed, and the data's shape. Two records with
    equal identities compute the same units; an option a folder predates counts as its
    default there."""
    config = config_of(stored)
    flat = {
        name: value for section in config.computed().values() for name, value in section.items()
    }
    resolved = resolved_of(stored)
    flat.update({key: resolved[key] for key in RESOLVED if key in resolved})
    flat["attention_options"] = attention_options(stored)
    return flat


def load_model(path: str | os.PathLike, fold: str, seed: int = 0) -> nn.Module:
    """The trained model of ``fold`` and ``seed`` in run folder ``path``, in eval mode.

    The network is rebuilt from ``config.json`` (backbone, attention, data shape) and its
    weights are read from ``folds/<fold>-seed<seed>.pt``.

    Raises
    ------
    ValueError
        No such run, or no saved model for that fold and seed (naming those there are).
    """
    import torch

    from ..models import build_model

    folder = RunFolder(path)
    stored = folder.config()
    target = folder.model_file(fold, seed)
    if not target.is_file():
        saved = ", ".join(f"{f}-seed{s}" for f, s in folder.saved_models()) or "none"
        raise ValueError(f"{path}: no saved model for fold {fold} seed {seed}; saved: {saved}")
    config, resolved = config_of(stored), resolved_of(stored)
    model = build_model(
        config.model.backbone,
        config.model.attention,
        resolved["attention_at"],
        n_chans=resolved["n_chans"],
        n_times=resolved["n_times"],
        n_outputs=len(resolved["classes"]),
        sfreq=resolved["sfreq"],
        attention_options=attention_options(stored),
        **config.model.backbone_options,
    )
    model.load_state_dict(torch.load(target, map_location="cpu", weights_only=True))
    return model.eval()
