"""Parameters and multiply-adds of a backbone with attention, without loading any data.

python -m bci_attn.summary --backbone eegnet --attn ham --dataset BNCI2014001

The input shape comes from the dataset's description alone (nothing is read or
downloaded):

* electrodes: ``len(channels)`` for ``synthetic``; for a MOABB dataset the EEG channel
  count of its catalogue entry, ``dataset.metadata.acquisition.channel_types["eeg"]``
  (MOABB >= 1.7; MOABB's paradigms keep every EEG channel). Where the catalogue has no
  count, :func:`data_shape` asks for ``--n-chans``.
* time samples: MOABB cuts epochs at the recording's rate and then resamples them, so
  ``n = round(t1·f) - round(t0·f) + 1`` samples at the native rate ``f`` (``t0, t1`` from
  the event, ``[interval[0] + tmin, interval[0] + tmax]``), then
  ``round(n · resample / f)``. This is ``round((tmax - tmin) · resample) + 1`` in the usual
  cases (BNCI2014001, 4 s at 250 Hz → 513 at 128 Hz; PhysionetMI, 3 s at 160 Hz → 385) but
  not always (5 s at 512 Hz → 640, not 641). Without the native rate the simple formula is
  used.
* classes: those ``run`` would decode (``--classes``/``--n-classes``, else all but rest).

**Counting.** Multiply-adds are counted by :class:`torch.utils.flop_counter.FlopCounterMode`
on one forward pass of a single trial in eval mode, and reported as FLOPs / 2. It counts the
matrix products and convolutions (``mm``, ``addmm``, ``bmm``, ``convolution``, scaled
dot-product attention, ...), which is exact for them and catches the functional ``bmm`` of
self-attention modules (DANet, External Attention) that a module-based counter such as
torchinfo misses. **Elementwise and reduction operations are not counted**: activations,
sigmoid gates, the products ``x · gate``, pooling, BatchNorm/GroupNorm, softmax and the
biases of convolutions and linear layers. A module made only of such operations (GCT,
Gather-Excite without parameters, NAM, Shuffle Attention) therefore shows 0 multiply-adds:
its cost is of the order of a few operations per element of its feature map, not zero.

Parameters are ``sum(p.numel() for p in model.parameters())``; an attention layer's are those
of the ``attention_<point>`` submodule, so they add up to the model's minus the backbone's.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

warnings.filterwarnings("ignore", message="Montage name .* is deprecated", category=FutureWarning)

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from . import attention as attention_zoo  # noqa: E402
from .data.datasets import SYNTHETIC, dataset_name, resolve_dataset  # noqa: E402
from .data.loading import Preprocessing, check_window, choose_classes  # noqa: E402
from .models import BACKBONES, build_model, feature_maps, get_backbone, resolve_points  # noqa: E402
from .run import comma_list, parse_option, quiet_libraries  # noqa: E402

BACKBONE_TITLES = {"eegnet": "EEGNet", "shallow": "ShallowConvNet (ShallowFBCSPNet)"}


@dataclass(frozen=True)
class DataShape:
    """The model's input as ``run`` would give it, derived from dataset metadata only.

    Attributes
    ----------
    dataset : str
        MOABB class name (``BNCI2014_001``) or ``SyntheticMotorImagery``.
    n_chans, n_times : int
        Electrodes and time samples per trial.
    sfreq : float
        Sampling rate of the trials (after resampling).
    classes : list of str
    seconds : float
        Window length ``tmax - tmin``.
    native_sfreq : float | None
        Recording rate, when the dataset says.
    chans_from : str
        Where ``n_chans`` came from.
    """

    dataset: str
    n_chans: int
    n_times: int
    sfreq: float
    classes: list[str]
    seconds: float
    native_sfreq: float | None = None
    chans_from: str = ""

    @property
    def n_outputs(self) -> int:
        return len(self.classes)

    def describe(self) -> str:
        return (
            f"{self.dataset}: {self.n_chans} electrodes x {self.n_times} samples "
            f"({self.seconds:g} s at {self.sfreq:g} Hz), {self.n_outputs} classes "
            f"({', '.join(self.classes)})"
        )


def _metadata(dataset) -> object | None:
    meta = getattr(dataset, "metadata", None)
    return meta if meta is not None else getattr(type(dataset), "METADATA", None)


def _eeg_count(dataset) -> int | None:
    """EEG electrodes of a dataset from its own attributes or MOABB's catalogue."""
    channels = getattr(dataset, "channels", None)  # SyntheticMotorImagery
    if isinstance(channels, (list, tuple)) and channels:
        return len(channels)
    acquisition = getattr(_metadata(dataset), "acquisition", None)
    types = getattr(acquisition, "channel_types", None) or {}
    count = types.get("eeg")
    return int(count) if count else None


def _native_sfreq(dataset) -> float | None:
    sfreq = getattr(dataset, "sfreq", None)  # SyntheticMotorImagery
    if sfreq is None:
        sfreq = getattr(getattr(_metadata(dataset), "acquisition", None), "sampling_rate", None)
    return float(sfreq) if sfreq else None


def epoch_samples(
    start: float, stop: float, native_sfreq: float | None, resample: float | None
) -> int:
    """Samples of an epoch ``[start, stop]`` s (from the event) as MOABB/MNE produce it.

    MNE keeps samples ``round(start·f) .. round(stop·f)`` at the recording rate ``f``;
    resampling to ``r`` gives ``round(n · r / f)`` of them.
    """
    if native_sfreq is None:
        if resample is None:
            raise ValueError("the dataset's sampling rate is unknown: pass --resample")
        return round((stop - start) * resample) + 1
    n = round(stop * native_sfreq) - round(start * native_sfreq) + 1
    return n if resample is None else int(round(n * resample / native_sfreq))


def data_shape(
    dataset: str,
    *,
    classes: Sequence[str] | None = None,
    n_classes: int | None = None,
    tmin: float = 0.0,
    tmax: float | None = None,
    resample: float | None = 128.0,
    n_chans: int | None = None,
) -> DataShape:
    """Input shape of ``dataset`` for the given window, from its metadata (nothing loaded).

    Raises
    ------
    ValueError
        Unknown dataset or class, a window outside the trials, a non-positive rate, or an
        electrode count the dataset does not publish (and ``n_chans`` not given).
    """
    ds = resolve_dataset(dataset)
    name = dataset_name(ds)
    if resample is not None and resample <= 0:
        raise ValueError(f"--resample must be positive, got {resample}")
    trial = check_window(ds, tmin, tmax)
    stop = trial if tmax is None else tmax
    if n_classes is not None and n_classes < 2:
        raise ValueError(f"--n-classes must be at least 2, got {n_classes}")
    chosen = choose_classes(
        ds, Preprocessing(classes=tuple(classes) if classes else None, n_classes=n_classes)
    )
    if n_chans is not None:
        if n_chans < 1:
            raise ValueError(f"--n-chans must be positive, got {n_chans}")
        chans_from = "--n-chans"
    else:
        n_chans = _eeg_count(ds)
        if n_chans is None:
            raise ValueError(
                f"dataset {name}: its number of EEG electrodes is not in MOABB's metadata; "
                "pass --n-chans N"
            )
        chans_from = "constructor" if _normalise_synthetic(dataset) else "MOABB metadata"
    native = _native_sfreq(ds)
    start = float(ds.interval[0]) + tmin
    n_times = epoch_samples(start, float(ds.interval[0]) + stop, native, resample)
    return DataShape(
        dataset=name,
        n_chans=int(n_chans),
        n_times=n_times,
        sfreq=float(resample if resample is not None else native),
        classes=chosen,
        seconds=stop - tmin,
        native_sfreq=native,
        chans_from=chans_from,
    )


def _normalise_synthetic(name: str) -> bool:
    return name.replace("_", "").replace("-", "").lower() == SYNTHETIC


@dataclass(frozen=True)
class LayerCost:
    """One inserted attention layer: its point, map ``(C, H, W)``, parameters and MACs."""

    name: str
    point: str
    map: tuple[int, int, int]
    params: int
    macs: int


@dataclass(frozen=True)
class ModelSummary:
    """Costs of ``backbone`` with ``attention`` and of the backbone alone."""

    backbone: str
    attention: str
    points: list[str]
    params: int
    macs: int
    backbone_params: int
    backbone_macs: int
    layers: list[LayerCost] = field(default_factory=list)

    @property
    def attention_params(self) -> int:
        return self.params - self.backbone_params

    @property
    def attention_macs(self) -> int:
        return self.macs - self.backbone_macs

    @property
    def param_ratio(self) -> float:
        return self.params / self.backbone_params

    @property
    def mac_ratio(self) -> float:
        return self.macs / self.backbone_macs


def count_parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_macs(model: torch.nn.Module, n_chans: int, n_times: int) -> tuple[int, dict[str, int]]:
    """Multiply-adds of one trial: the total and per top-level child (FLOPs / 2).

    See the module docstring for what is counted (matrix products and convolutions only).
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, n_chans, n_times))
    finally:
        model.train(was_training)
    root = type(model).__name__
    by_child: dict[str, int] = {}
    for key, ops in counter.get_flop_counts().items():
        prefix, _, child = key.partition(".")
        if prefix == root and child and "." not in child:
            by_child[child] = sum(ops.values()) // 2
    return counter.get_total_flops() // 2, by_child


def _backbone_costs(backbone: str, shape: DataShape) -> tuple[int, int, dict]:
    model = build_model(
        backbone,
        n_chans=shape.n_chans,
        n_times=shape.n_times,
        n_outputs=shape.n_outputs,
        sfreq=shape.sfreq,
    )
    macs, _ = count_macs(model, shape.n_chans, shape.n_times)
    maps = feature_maps(model, shape.n_chans, shape.n_times)
    return count_parameters(model), macs, maps


def summarize(
    backbone: str,
    attention: str,
    shape: DataShape,
    at: str | Sequence[str] | None = None,
    options: Mapping[str, object] | None = None,
    *,
    reference: tuple[int, int, dict] | None = None,
) -> ModelSummary:
    """Parameters and MACs of ``backbone`` + ``attention`` for ``shape``, and the backbone's.

    ``reference`` reuses the backbone's ``(params, macs, feature maps)`` across calls.

    Raises
    ------
    ValueError
        Unknown backbone, module, point or option, or a point the module refuses.
    """
    spec = get_backbone(backbone)
    name = attention_zoo.get_spec(attention).name
    points = resolve_points(backbone, name, at)
    base_params, base_macs, maps = reference or _backbone_costs(backbone, shape)
    model = build_model(
        backbone,
        name,
        points,
        n_chans=shape.n_chans,
        n_times=shape.n_times,
        n_outputs=shape.n_outputs,
        sfreq=shape.sfreq,
        attention_options=options,
    )
    macs, by_child = count_macs(model, shape.n_chans, shape.n_times)
    layers = []
    if name != "none":
        for point in points:
            layer = f"attention_{point}"
            _, c, d2, d3 = maps[spec.points[point]]
            height, width = (d2, d3) if spec.time_last else (d3, d2)
            layers.append(
                LayerCost(
                    layer,
                    point,
                    (int(c), int(height), int(width)),
                    count_parameters(model.get_submodule(layer)),
                    by_child.get(layer, 0),
                )
            )
    return ModelSummary(
        backbone, name, points, count_parameters(model), macs, base_params, base_macs, layers
    )


def refused_points(backbone: str, attention: str, shape: DataShape, maps: dict) -> list[str]:
    """Insertion points of ``backbone`` where ``attention`` (default options) refuses to build."""
    spec = get_backbone(backbone)
    refused = []
    for point, after in spec.points.items():
        _, c, d2, d3 = maps[after]
        height, width = (d2, d3) if spec.time_last else (d3, d2)
        try:
            attention_zoo.create(
                attention,
                int(c),
                height=int(height),
                width=int(width),
                sfreq=shape.sfreq * int(width) / shape.n_times,
            )
        except ValueError:
            refused.append(point)
    return refused


# ----------------------------------------------------------------------------- formatting


def _int(n: int) -> str:
    return f"{n:,}"


def _ratio(r: float) -> str:
    return f"x{r:.4f}"


def _overhead(r: float) -> str:
    return f"{_ratio(r)} ({100 * (r - 1):+.2f}%)"


def format_summary(summary: ModelSummary, shape: DataShape) -> str:
    """Plain-text report of one model."""
    title = f"{summary.backbone} + {summary.attention}"
    lines = [
        f"{title} on {shape.describe()}",
        f"{'':34s}{'parameters':>18s}{'multiply-adds':>20s}",
        f"{'backbone alone (' + summary.backbone + ')':34s}"
        f"{_int(summary.backbone_params):>18s}{_int(summary.backbone_macs):>20s}",
    ]
    for layer in summary.layers:
        c, h, w = layer.map
        label = f"{layer.name} [{c}x{h}x{w}]"
        lines.append(f"{label:34s}{_int(layer.params):>18s}{_int(layer.macs):>20s}")
    if summary.layers:
        lines.append(
            f"{'attention, all layers':34s}"
            f"{_int(summary.attention_params):>18s}{_int(summary.attention_macs):>20s}"
        )
    lines += [
        f"{'total':34s}{_int(summary.params):>18s}{_int(summary.macs):>20s}",
        f"{'overhead (total / backbone)':34s}"
        f"{_overhead(summary.param_ratio):>18s}{_overhead(summary.mac_ratio):>20s}",
        "multiply-adds: matrix products and convolutions of one trial (FLOPs/2, "
        "torch FlopCounterMode); elementwise ops not counted",
    ]
    return "\n".join(lines)


COLUMNS = (
    "module",
    "point",
    "map C×H×W",
    "params",
    "attn params",
    "params ×",
    "MACs",
    "attn MACs",
    "MACs ×",
    "refuses",
)


def table_rows(
    backbone: str,
    shape: DataShape,
    names: Sequence[str],
    at: Sequence[str] | None = None,
) -> tuple[list[list[str]], list[str]]:
    """One row per module: its costs at its default point (or ``at``) and its refusals.

    Returns the rows and one note per module that refused to build there.
    """
    reference = _backbone_costs(backbone, shape)
    rows, notes = [], []
    for name in names:
        refused = ", ".join(refused_points(backbone, name, shape, reference[2])) or "–"
        try:
            s = summarize(backbone, name, shape, at, reference=reference)
        except ValueError as error:
            rows.append([name, ",".join(at or []), "refused (†)", *[""] * 6, refused])
            notes.append(f"{name}: {error}")
            continue
        maps = ", ".join("×".join(map(str, layer.map)) for layer in s.layers) or "–"
        rows.append(
            [
                name,
                ",".join(s.points) if name != "none" else "–",
                maps,
                _int(s.params),
                _int(s.attention_params),
                _ratio(s.param_ratio).lstrip("x"),
                _int(s.macs),
                _int(s.attention_macs),
                _ratio(s.mac_ratio).lstrip("x"),
                refused if name != "none" else "–",
            ]
        )
    return rows, notes


def format_table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        right = {3, 4, 5, 6, 7, 8}
        head = "| " + " | ".join(COLUMNS) + " |"
        rule = "|" + "|".join("---:" if i in right else "---" for i in range(len(COLUMNS))) + "|"
        body = ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([head, rule, *body])
    widths = [max(len(str(r[i])) for r in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    lines = []
    for row in [list(COLUMNS), *rows]:
        cells = [
            cell.rjust(width) if 3 <= i <= 8 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


MARKDOWN_NOTES = """\
Columns: *point*, the insertion point (the module's default: its own where it has one,
e.g. `electrode` → `input`, else the backbone's); *map*, the feature map the module sees,
channels × electrodes (1 after the spatial filter) × time samples; *params* and *MACs*,
the whole network; *attn*, the attention layer alone (network minus backbone); *×*, network
over backbone alone; *refuses*, the backbone's points where the module will not build with
its default options: modules that gate electrodes need a map with electrodes (`H > 1`),
braindecode's GSoP, FCA, EncNet, CAT and CATLite need a map without (`H = 1`), DANet's
position attention refuses maps of more than `max_positions` (4096) electrode × time
positions, and Shuffle Attention needs an even number of channels (the input map has one).

Multiply-adds are counted for one trial by `torch.utils.flop_counter.FlopCounterMode`
(FLOPs / 2): matrix products and convolutions only. Elementwise and reduction operations
(activations, sigmoid gates, `x · gate`, pooling, normalisation, softmax, biases) are not
counted, so modules made only of them (e.g. `gct`, `ge`, `nam`, `sa`) show 0 attention MACs.
"""


def markdown_report(
    backbones: Sequence[str], shape: DataShape, names: Sequence[str], at, command: str
) -> str:
    parts = [
        "# The attention zoo: parameters and multiply-adds",
        "",
        f"Generated by `{command}`; do not edit by hand, run the command again.",
        "",
        f"Input: {shape.describe()}; electrodes from {shape.chans_from}, no data loaded.",
        "",
        MARKDOWN_NOTES,
    ]
    for backbone in backbones:
        rows, notes = table_rows(backbone, shape, names, at)
        parts += [
            f"## {BACKBONE_TITLES.get(backbone, backbone)} (`--backbone {backbone}`)",
            "",
            format_table(rows, markdown=True),
            "",
        ]
        if notes:
            parts += [*(f"- † {note}" for note in notes), ""]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bci_attn.summary",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    data = p.add_argument_group("data (metadata only; nothing is loaded)")
    data.add_argument(
        "--dataset",
        default="BNCI2014001",
        help="MOABB motor-imagery dataset (BNCI2014001, PhysionetMI, ...) or 'synthetic'",
    )
    data.add_argument(
        "--classes", type=comma_list, default=None, help="comma-separated class names"
    )
    data.add_argument("--n-classes", type=int, default=None, help="the dataset's first N classes")
    data.add_argument(
        "--tmin", type=float, default=0.0, help="window start (s) from the imagery start"
    )
    data.add_argument(
        "--tmax",
        type=float,
        default=None,
        help="window end (s) from the imagery start (default: the end of the interval)",
    )
    data.add_argument(
        "--resample", type=float, default=128.0, help="sampling rate after resampling (Hz)"
    )
    data.add_argument(
        "--n-chans",
        type=int,
        default=None,
        help="electrodes, for datasets whose metadata does not say (default: from metadata)",
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--backbone",
        type=comma_list,
        default=["eegnet"],
        help="eegnet, shallow, or both comma-separated",
    )
    which = model.add_mutually_exclusive_group()
    which.add_argument(
        "--attn",
        default="none",
        help="attention module (see python -m bci_attn.run --list-attention)",
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="a table of every registered module, each at its default point (or --attn-at)",
    )
    model.add_argument(
        "--attn-at",
        type=comma_list,
        default=None,
        help="insertion point(s), comma-separated; default: the module's or backbone's",
    )
    model.add_argument(
        "--attn-opt",
        type=parse_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="attention option (repeatable; not with --all)",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="with --all: a Markdown document (docs/attention_zoo.md) naming this command",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    # One-trial passes through small networks: extra threads only add contention.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _main(argv)
    finally:
        torch.set_num_threads(threads)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet_libraries()
    argv = sys.argv[1:] if argv is None else list(argv)

    def fail(message: str):
        parser.exit(2, f"{parser.prog}: error: {message}\n")

    unknown = [b for b in args.backbone if b not in BACKBONES]
    if unknown or not args.backbone:
        fail(f"unknown backbone '{','.join(unknown)}'; available: {', '.join(BACKBONES)}")
    if args.all and args.attn_opt:
        fail("--attn-opt cannot be used with --all: options belong to one module")
    if args.markdown and not args.all:
        fail("--markdown goes with --all (it writes the table of every module)")
    try:
        shape = data_shape(
            args.dataset,
            classes=args.classes,
            n_classes=args.n_classes,
            tmin=args.tmin,
            tmax=args.tmax,
            resample=args.resample,
            n_chans=args.n_chans,
        )
        if args.all:
            names = attention_zoo.available()
            if args.markdown:
                command = shlex.join(["python", "-m", "bci_attn.summary", *argv])
                print(markdown_report(args.backbone, shape, names, args.attn_at, command))
                return 0
            print(shape.describe())
            for backbone in args.backbone:
                print(f"\n{BACKBONE_TITLES.get(backbone, backbone)}")
                rows, notes = table_rows(backbone, shape, names, args.attn_at)
                print(format_table(rows, markdown=False))
                for note in notes:
                    print(f"† {note}")
            return 0
        for backbone in args.backbone:  # every point checked before anything is printed
            resolve_points(backbone, attention_zoo.get_spec(args.attn).name, args.attn_at)
        for i, backbone in enumerate(args.backbone):
            summary = summarize(backbone, args.attn, shape, args.attn_at, dict(args.attn_opt))
            print(("\n" if i else "") + format_summary(summary, shape))
    except ValueError as error:
        fail(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
