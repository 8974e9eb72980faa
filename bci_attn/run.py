"""Command line: train and evaluate a backbone (with attention) on a MOABB dataset.

python -m bci_attn.run --dataset BNCI2014001 --backbone eegnet --attn ham --protocol loso
python -m bci_attn.run --dataset PhysionetMI --protocol holdout --train-subjects 1-7 \
    --test-subjects 8-10 --calibration-trials 5 10
python -m bci_attn.run --train-dataset PhysionetMI --test-dataset BNCI2014001 \
    --classes left_hand,right_hand
python -m bci_attn.run --config configs/eegnet_ham_bnci2014001_loso.yaml --max-epochs 5
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

import yaml

# braindecode warns about MNE montage names when it is imported; not the user's business.
warnings.filterwarnings("ignore", message="Montage name .* is deprecated", category=FutureWarning)

from . import config as config_file  # noqa: E402
from .data import MissingDataError  # noqa: E402
from .experiment import RunConfig, prepare, run_experiment  # noqa: E402
from .protocols import PROTOCOLS  # noqa: E402
from .recipes import CROSS_SUBJECT_PROTOCOLS, RECIPE_NAMES, RECIPES, resolve_recipe  # noqa: E402
from .training import FINETUNE_PARTS  # noqa: E402

DEFAULTS = RunConfig()


def parse_subjects(text: str) -> list[int]:
    """``"1-3,7"`` -> ``[1, 2, 3, 7]``."""
    try:
        return config_file.parse_subjects(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_option(text: str) -> tuple[str, object]:
    """``"reduction=4"`` -> ``("reduction", 4)`` (the value is read as YAML)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"invalid option '{text}': use key=value")
    return key.strip(), yaml.safe_load(value)


def nested_option(text: str) -> tuple[str, object]:
    """``"frequency_shift.max_shift=3"`` -> ``("frequency_shift.max_shift", 3)``."""
    key, value = parse_option(text)
    if not all(part.strip() for part in key.partition(".")):
        raise argparse.ArgumentTypeError(
            f"invalid option '{text}': use augmentation.key=value, e.g. time_shift.max_shift=0.2"
        )
    return key, value


def nest(pairs: list[tuple[str, object]]) -> dict[str, dict]:
    """``[("a.k", 1), ("a.j", 2)]`` -> ``{"a": {"k": 1, "j": 2}}``."""
    nested: dict[str, dict] = {}
    for key, value in pairs:
        name, _, option = key.partition(".")
        nested.setdefault(name.strip(), {})[option.strip()] = value
    return nested


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


class OneLineParser(argparse.ArgumentParser):
    """Reports a bad argument in one line (what is wrong, what is allowed), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    d = DEFAULTS
    p = OneLineParser(
        prog="python -m bci_attn.run",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="YAML configuration (the sections LightningCLI reads: model, data, trainer, "
        "run); flags given on the command line override it",
    )
    p.add_argument(
        "--print_config",
        action="store_true",
        help="print the resolved configuration as YAML and exit",
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset",
        default=d.dataset,
        help="MOABB motor-imagery dataset (BNCI2014001 or BNCI2014_001, "
        "PhysionetMI, ...) or 'synthetic'",
    )
    data.add_argument(
        "--subjects",
        type=parse_subjects,
        default=None,
        help="subjects, e.g. 1-10 or 1,3,5 (default: all of the dataset)",
    )
    data.add_argument(
        "--train-dataset",
        default=None,
        help="cross-dataset transfer: dataset trained on (with --test-dataset; both read "
        "from one --data-dir)",
    )
    data.add_argument(
        "--test-dataset", default=None, help="cross-dataset transfer: dataset tested on"
    )
    data.add_argument(
        "--train-subjects",
        type=parse_subjects,
        default=None,
        help="holdout/cross-dataset: subjects trained on (default: every subject not tested)",
    )
    data.add_argument(
        "--test-subjects",
        type=parse_subjects,
        default=None,
        help="holdout/cross-dataset: subjects tested on, each scored on its own "
        "(cross-dataset default: all of --test-dataset)",
    )
    data.add_argument(
        "--min-channels",
        type=int,
        default=d.min_channels,
        help="cross-dataset: fewest electrodes the two datasets must share",
    )
    data.add_argument(
        "--classes",
        type=comma_list,
        default=None,
        help="comma-separated class names, e.g. left_hand,right_hand "
        "(default: all classes of the dataset, rest excluded)",
    )
    data.add_argument(
        "--n-classes",
        type=int,
        default=None,
        help="use the dataset's first N classes instead of --classes",
    )
    data.add_argument("--fmin", type=float, default=d.fmin, help="band-pass low edge (Hz)")
    data.add_argument("--fmax", type=float, default=d.fmax, help="band-pass high edge (Hz)")
    data.add_argument(
        "--tmin",
        type=float,
        default=d.tmin,
        help="window start (s) from the start of the imagery interval",
    )
    data.add_argument(
        "--tmax",
        type=float,
        default=d.tmax,
        help="window end (s) from the start of the interval (default: its end)",
    )
    data.add_argument(
        "--resample", type=float, default=d.resample, help="sampling rate after resampling (Hz)"
    )
    data.add_argument(
        "--channels",
        type=comma_list,
        default=None,
        metavar="NAME[,NAME]",
        help="electrodes to keep, in this order, e.g. C3,Cz,C4 (default: all of the "
        "dataset's, or those two pooled datasets share)",
    )
    data.add_argument(
        "--align",
        choices=["none", "euclidean"],
        default=d.align,
        help="Euclidean alignment of each subject's session (He & Wu 2019)",
    )
    data.add_argument(
        "--data-dir",
        default=None,
        help="MNE data folder holding the datasets (default: MNE's: $MNE_DATA, else "
        "MNE_DATA in MNE's configuration, else ~/mne_data); missing files are downloaded "
        "there",
    )
    data.add_argument(
        "--cache-dir",
        default=None,
        help="cache of preprocessed trials (default: $BCI_ATTN_CACHE or ~/.cache/bci_attn)",
    )
    data.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network: a file missing from the data folder fails at once "
        "(default: MOABB downloads it)",
    )
    data.add_argument(
        "--download",
        action="store_true",
        help=argparse.SUPPRESS,  # the default since 0.2; kept so that old commands run
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--backbone",
        choices=["eegnet", "shallow"],
        default=d.backbone,
        help="braindecode EEGNet or ShallowFBCSPNet",
    )
    model.add_argument(
        "--attn", default=d.attention, help="attention module by name (see --list-attention)"
    )
    model.add_argument(
        "--attn-at",
        type=comma_list,
        default=None,
        help="insertion point(s), comma-separated (eegnet: input, temporal, "
        "spatial, separable; shallow: input, conv, pool); default: the "
        "module's or backbone's default",
    )
    model.add_argument(
        "--attn-opt",
        type=parse_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="attention option (repeatable)",
    )
    model.add_argument(
        "--backbone-opt",
        type=parse_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="braindecode model option, e.g. drop_prob=0.25 (repeatable)",
    )

    evaluation = p.add_argument_group("evaluation")
    evaluation.add_argument(
        "--protocol",
        choices=list(PROTOCOLS),
        default=argparse.SUPPRESS,
        help="evaluation protocol; cross-dataset when --train-dataset/--test-dataset are "
        f"given (default: {d.protocol})",
    )
    evaluation.add_argument(
        "--split-seed",
        type=int,
        default=d.split_seed,
        help="seed of the protocol's random splits (validation subjects, within-session "
        "folds); the same for every --seed, so every seed trains on the same folds",
    )
    evaluation.add_argument(
        "--seed",
        type=int,
        nargs="+",
        default=d.seeds,
        help="one or several seeds; each fold is trained once per seed",
    )
    evaluation.add_argument(
        "--calibration-trials",
        type=int,
        nargs="+",
        default=[],
        metavar="N",
        help="loso/holdout/cross-dataset: few-shot calibration with N labelled trials per "
        "class of each test subject (its first session, in time order); one or several N, "
        "each reported next to N=0 (zero-shot) on the same test trials",
    )
    evaluation.add_argument(
        "--finetune",
        choices=FINETUNE_PARTS,
        default=d.finetune,
        help="what calibration fine-tunes: all layers, the classifier head, or the "
        "attention modules",
    )
    evaluation.add_argument(
        "--calibration-steps",
        type=int,
        default=d.calibration_steps,
        help="optimiser steps of each calibration fine-tuning",
    )
    evaluation.add_argument(
        "--calibration-lr",
        type=float,
        default=None,
        help="learning rate of calibration fine-tuning (default: --lr)",
    )
    evaluation.add_argument(
        "--list-folds",
        action="store_true",
        help="print the folds of the protocol and exit without training",
    )

    training = p.add_argument_group("training")
    training.add_argument("--max-epochs", type=int, default=d.max_epochs, help="epochs")
    training.add_argument("--batch-size", type=int, default=d.batch_size, help="batch size")
    training.add_argument("--lr", type=float, default=d.lr, help="AdamW learning rate")
    training.add_argument(
        "--weight-decay", type=float, default=d.weight_decay, help="AdamW weight decay"
    )
    training.add_argument(
        "--schedule",
        choices=["constant", "cosine"],
        default=d.schedule,
        help="learning-rate schedule (cosine: warm-up then cosine decay)",
    )
    training.add_argument(
        "--warmup-epochs",
        type=int,
        default=d.warmup_epochs,
        help="linear warm-up epochs of the cosine schedule",
    )
    training.add_argument(
        "--select",
        choices=["last", "best"],
        default=d.select,
        help="model tested: last epoch, or lowest validation loss "
        "(validation data come from the training side)",
    )
    training.add_argument(
        "--patience",
        type=int,
        default=None,
        help="early stopping on validation loss after N epochs without gain",
    )
    recipe = p.add_argument_group("training recipe")
    recipe.add_argument(
        "--recipe",
        choices=RECIPE_NAMES,
        default="auto",
        help="the recipe the other options apply on top of (see --list-recipes): auto is "
        f"cross-subject for {', '.join(CROSS_SUBJECT_PROTOCOLS)}, plain otherwise",
    )
    recipe.add_argument(
        "--augment",
        type=comma_list,
        default=d.augment,
        metavar="NAME[,NAME]",
        help="braindecode augmentations applied to training batches, in order (see "
        "--list-augmentations); none by default",
    )
    recipe.add_argument(
        "--augment-probability",
        type=float,
        default=d.augment_probability,
        help="probability of applying each augmentation to a trial",
    )
    recipe.add_argument(
        "--augment-opt",
        type=nested_option,
        action="append",
        default=[],
        metavar="NAME.KEY=VALUE",
        help="augmentation option, e.g. time_shift.max_shift=0.2 (repeatable)",
    )
    recipe.add_argument(
        "--label-smoothing",
        type=float,
        default=d.label_smoothing,
        help="label smoothing of the training loss",
    )
    recipe.add_argument(
        "--swa-start",
        type=float,
        default=None,
        metavar="FRACTION",
        help="stochastic weight averaging (Lightning's callback) from this fraction of the "
        "epochs on; BatchNorm re-estimated on the training data",
    )
    recipe.add_argument(
        "--swa-lr", type=float, default=None, help="learning rate during SWA (default: --lr)"
    )
    recipe.add_argument(
        "--ensemble",
        action="store_true",
        help="also score the ensemble of the seeds' models (mean of their probabilities)",
    )
    training.add_argument(
        "--accelerator",
        default=d.accelerator,
        help="Lightning accelerator: auto (GPU when there is one), cpu, gpu",
    )
    training.add_argument("--devices", type=int, default=d.devices, help="devices to use")
    training.add_argument(
        "--precision",
        default=d.precision,
        help="Lightning precision: 32-true, 16-mixed, bf16-mixed",
    )
    training.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=d.channels_last,
        help="channels-last memory format for the convolutions (1.4-1.7x faster training "
        "on CPU, see benchmarks/README.md)",
    )
    training.add_argument(
        "--compile", action="store_true", help="run the model through torch.compile"
    )
    training.add_argument(
        "--parallel-folds",
        type=int,
        default=d.parallel_folds,
        metavar="K",
        help="train K folds/seeds at once as one stacked model (torch.func.vmap); folds "
        "with as many training trials are grouped; needs --select last, no --patience",
    )

    output = p.add_argument_group("output")
    output.add_argument(
        "--out",
        default=None,
        help="run folder (default: runs/<dataset>-<backbone>-<attn>-<protocol>);"
        " the same --out resumes a killed run",
    )
    output.add_argument(
        "--logger",
        choices=["csv", "tensorboard"],
        default=d.logger,
        help="training logs: CSV, or CSV and TensorBoard",
    )
    output.add_argument("--quiet", action="store_true", help="no progress bars or fold lines")
    output.add_argument(
        "--list-attention", action="store_true", help="print the attention modules and exit"
    )
    output.add_argument(
        "--list-recipes", action="store_true", help="print the recipes' settings and exit"
    )
    output.add_argument(
        "--list-augmentations",
        action="store_true",
        help="print the augmentations and their options, and exit",
    )
    return p


def protocol_of(args: argparse.Namespace) -> str:
    """``--protocol``, else cross-dataset when a transfer dataset is named, else loso."""
    transfer = args.train_dataset is not None or args.test_dataset is not None
    return getattr(args, "protocol", "cross-dataset" if transfer else DEFAULTS.protocol)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        dataset=args.dataset,
        subjects=args.subjects,
        train_subjects=args.train_subjects,
        test_subjects=args.test_subjects,
        train_dataset=args.train_dataset,
        test_dataset=args.test_dataset,
        min_channels=args.min_channels,
        backbone=args.backbone,
        attention=args.attn.strip().lower(),
        attention_at=args.attn_at,
        attention_options=dict(args.attn_opt),
        backbone_options=dict(args.backbone_opt),
        protocol=protocol_of(args),
        split_seed=args.split_seed,
        classes=args.classes,
        n_classes=args.n_classes,
        fmin=args.fmin,
        fmax=args.fmax,
        tmin=args.tmin,
        tmax=args.tmax,
        resample=args.resample,
        channels=args.channels,
        align=args.align,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        warmup_epochs=args.warmup_epochs,
        select=args.select,
        patience=args.patience,
        augment=args.augment,
        augment_probability=args.augment_probability,
        augment_options=nest(args.augment_opt),
        label_smoothing=args.label_smoothing,
        swa_start=args.swa_start,
        swa_lr=args.swa_lr,
        ensemble=args.ensemble,
        seeds=list(dict.fromkeys(args.seed)),
        calibration_trials=sorted(set(args.calibration_trials)),
        calibration_steps=args.calibration_steps,
        calibration_lr=args.calibration_lr,
        finetune=args.finetune,
        data_dir=args.data_dir,
        cache_dir=args.cache_dir,
        offline=args.offline,
        out=args.out,
        accelerator=args.accelerator,
        devices=args.devices,
        precision=args.precision,
        channels_last=args.channels_last,
        compile=args.compile,
        parallel_folds=args.parallel_folds,
        logger=args.logger,
        quiet=args.quiet,
        recipe=args.recipe,
    )


#: RunConfig fields whose command-line destination has another name.
DESTINATIONS = {
    "attention": "attn",
    "attention_at": "attn_at",
    "attention_options": "attn_opt",
    "backbone_options": "backbone_opt",
    "augment_options": "augment_opt",
    "seeds": "seed",
}


def file_defaults(path: str) -> dict:
    """The options of configuration file ``path`` as the parser's defaults."""
    return argument_defaults(config_file.config_options(config_file.read_yaml(path), path))


def argument_defaults(options: dict) -> dict:
    """RunConfig keyword arguments as the parser's defaults (destinations and forms)."""
    defaults = {}
    for key, value in options.items():
        if key in ("attention_options", "backbone_options"):
            value = list(value.items())
        if key == "augment_options":
            value = [(f"{name}.{k}", v) for name, opts in value.items() for k, v in opts.items()]
        defaults[DESTINATIONS.get(key, key)] = value
    return defaults


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv`` on top of the recipe's values, and with ``--config FILE`` on top of
    the file's, which are on top of the recipe's; ``recipe`` comes back resolved."""
    args = parser.parse_args(argv)
    try:
        from_file = file_defaults(args.config) if args.config else {}
        parser.set_defaults(**from_file)
        args = parser.parse_args(argv)
        recipe = resolve_recipe(args.recipe, protocol_of(args))
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    parser.set_defaults(**{**argument_defaults(RECIPES[recipe].settings), **from_file})
    args = parser.parse_args(argv)
    args.recipe = recipe
    return args


def quiet_libraries() -> None:
    """Silence MNE/MOABB/Lightning chatter; our own lines say what happens."""
    import mne

    mne.set_log_level("ERROR")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="moabb")
    for name in (
        "moabb",
        "lightning.pytorch.utilities.rank_zero",
        "lightning.fabric.utilities.rank_zero",
        "lightning.pytorch.accelerators.cuda",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)


def list_attention() -> None:
    from . import attention

    for name in attention.available():
        spec = attention.get_spec(name)
        options = ", ".join(f"{k}={v!r}" for k, v in spec.options().items())
        print(f"{name:12s} {spec.summary}" + (f"  [options: {options}]" if options else ""))


def list_recipes() -> None:
    for name, recipe in RECIPES.items():
        print(f"{name:14s} {recipe.summary}")
        for key, value in recipe.settings.items():
            print(f"{'':14s}   {key} = {value!r}")


def list_augmentations() -> None:
    from .augmentation import AUGMENTATIONS

    for name, spec in AUGMENTATIONS.items():
        options = ", ".join(f"{k}={v!r}" for k, v in spec.options.items())
        print(f"{name:17s} {spec.summary}" + (f"  [options: {options}]" if options else ""))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parse(parser, argv)
    quiet_libraries()
    listing = {
        list_attention: args.list_attention,
        list_augmentations: args.list_augmentations,
        list_recipes: args.list_recipes,
    }
    for show, asked in listing.items():
        if asked:
            show()
            return 0
    config = config_from_args(args)
    if args.print_config:
        print(config_file.dump(config), end="")
        return 0
    echo = (lambda *a, **k: None) if config.quiet else print
    try:
        if args.list_folds:
            data, folds = prepare(config)
            for line in data.notes:
                print(line)
            for fold in folds:
                print(fold.describe(data.meta))
            return 0
        summary = run_experiment(config, echo=echo)
    except (ValueError, MissingDataError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if config.quiet:
        table, curve = summary["table"], summary["calibration"]
        sizes = [] if curve is None else list(curve["accuracy"].columns)[1:]
        print(
            f"accuracy {100 * table['accuracy'].mean():.1f} ± "
            f"{100 * table['accuracy'].std(ddof=0):.1f} % over {len(table)} subjects"
            + "".join(
                f"; N={n}: {100 * curve['accuracy'][n].mean():.1f} ± "
                f"{100 * curve['accuracy'][n].std(ddof=0):.1f} %"
                for n in sizes
            )
            + (
                f"; ensemble {100 * summary['ensemble']['accuracy'].mean():.1f} ± "
                f"{100 * summary['ensemble']['accuracy'].std(ddof=0):.1f} %"
                if "ensemble" in summary
                else ""
            )
            + f" ({summary['folder']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
