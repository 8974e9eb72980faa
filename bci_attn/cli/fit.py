"""``bci-attn fit``: train, validate or test one fold of a configuration with LightningCLI.

::

    bci-attn fit --config configs/eegnet_ham_bnci2014001_loso.yaml --data.fold subject3
    bci-attn fit --config FILE --data.fold 0 --trainer.max_epochs 5 --trainer.fast_dev_run true
    bci-attn fit --config FILE --print_config

The configuration file is the one ``bci-attn run`` reads (sections data, model, training,
evaluation, execution), on top of its recipe. LightningCLI then sees it in its own
sections: ``model`` (the model and training options, :class:`EEGDecoder`), ``data`` (the
data and evaluation options and ``fold``, a fold's name or index, :class:`FoldDataModule`),
``trainer`` (any Lightning Trainer option) and ``seed_everything`` (the first seed); its
dotted flags (``--model.lr``, ``--data.fold``, ``--trainer.*``) override the file. The data's
shape reaches the model through ``link_arguments``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..config import Layer, RunConfig, build, read_document, read_yaml, section_of
from .common import quiet_libraries, reported

#: LightningCLI's subcommands; ``bci-attn fit`` is ``fit``, ``bci-attn validate`` ...
SUBCOMMANDS = ("fit", "validate", "test", "predict")


def lightning_document(config: RunConfig, lightning: dict[str, Any]) -> dict[str, Any]:
    """``config`` (and what only LightningCLI reads: ``fold``, Trainer options) in
    LightningCLI's sections (see :mod:`bci_attn.evaluation.lightning`)."""
    from ..evaluation.lightning import DATA_OPTIONS, MODEL_OPTIONS

    values = config.to_dict()

    def options(names: list[str]) -> dict[str, Any]:
        return {name: values[section_of(name)][name] for name in names}

    execution = config.execution
    trainer = {
        "max_epochs": config.training.max_epochs,
        "accelerator": execution.accelerator,
        "devices": execution.devices,
        "precision": execution.precision,
        "enable_progress_bar": not execution.quiet,
        **lightning.get("trainer", {}),
    }
    if execution.logger == "tensorboard" and "logger" not in trainer:
        trainer["logger"] = {
            "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
            "init_args": {"save_dir": "lightning_logs"},
        }
    return {
        "seed_everything": config.evaluation.seeds[0],
        # the schedule's length is the trainer's max_epochs, linked into the model
        "model": {k: v for k, v in options(MODEL_OPTIONS).items() if k != "max_epochs"},
        "data": {**options(DATA_OPTIONS), "fold": lightning.get("fold", 0)},
        "trainer": trainer,
    }


def split_argv(argv: list[str]) -> tuple[list[str], list[str], str | None]:
    """``argv`` without its ``--config FILE`` and ``--recipe NAME`` (also ``--run.recipe``);
    returns (the rest, the files, the recipe)."""
    rest, files, recipe = [], [], None
    items = iter(argv)
    for item in items:
        name, sep, value = item.partition("=")
        if name in ("--config", "--recipe", "--run.recipe"):
            value = value if sep else next(items, "")
            if name == "--config":
                files.append(value)
            else:
                recipe = value
        else:
            rest.append(item)
    return rest, files, recipe


def main(argv: list[str] | None = None, prog: str = "bci-attn fit") -> int:
    """Run LightningCLI's subcommand (the last word of ``prog``: ``fit``, ``validate``,
    ``test`` or ``predict``) on one fold of the configuration ``argv`` names."""
    argv = sys.argv[1:] if argv is None else list(argv)
    subcommand = prog.rsplit(" ", 1)[-1]
    subcommand = subcommand if subcommand in SUBCOMMANDS else "fit"
    rest, files, recipe = split_argv(argv)
    with reported(prog):
        layers = [read_document(read_yaml(p), p, lightning=True) for p in files]
        layers.append(Layer(recipe=recipe))
        config = build(layers)
        lightning = {k: v for layer in layers for k, v in layer.lightning.items()}
        document = lightning_document(config, lightning)
    quiet_libraries()
    from ..evaluation.lightning import run_lightning

    with reported(prog):
        run_lightning(subcommand, ["--config", json.dumps(document), *rest], prog)
    return 0
