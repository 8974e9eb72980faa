"""Parameters and multiply-adds of a backbone with attention, without loading any data.

The input shape comes from the dataset's description alone (nothing is read or
downloaded; :func:`data_shape`):

* electrodes: ``len(data.channels)`` when they are given; else ``len(channels)`` for
  ``synthetic``; for a MOABB dataset the EEG channel count of its catalogue entry,
  ``dataset.metadata.acquisition.channel_types["eeg"]`` (MOABB >= 1.7; MOABB's paradigms
  keep every EEG channel). Where the catalogue has no count, :func:`data_shape` asks for
  ``n_chans``.
* time samples: MOABB cuts epochs at the recording's rate and then resamples them, so
  ``n = round(t1·f) - round(t0·f) + 1`` samples at the native rate ``f`` (``t0, t1`` from
  the event, ``[interval[0] + tmin, interval[0] + tmax]``), then
  ``round(n · resample / f)``. This is ``round((tmax - tmin) · resample) + 1`` in the usual
  cases (BNCI2014001, 4 s at 250 Hz → 513 at 128 Hz; PhysionetMI, 3 s at 160 Hz → 385) but
  not always (5 s at 512 Hz → 640, not 641). Without the native rate the simple formula is
  used.
* classes: those a run would decode (``data.classes``/``data.n_classes``, else all but
  rest).

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

A command line needs only :func:`data_shape` and one of the three reports:
:func:`summary_report` (one module on each backbone), :func:`zoo_report` (a table of every
module) and :func:`markdown_report` (that table as the document ``docs/attention_zoo.md``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch.utils.flop_counter import FlopCounterMode

from .. import attention as attention_zoo
from ..config import ConfigError
from ..data.datasets import dataset_name, resolve_dataset
from ..data.loading import Preprocessing, check_window, choose_classes
from .insertion import build_model, feature_maps, map_size, resolve_points
from .registry import get_backbone

if TYPE_CHECKING:
    from ..config import DataConfig


@dataclass(frozen=True)
class DataShape:
    """The model's input as a run would give it, derived from dataset metadata only.

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
        """Classes, the network's outputs."""
        return len(self.classes)

    @property
    def dimensions(self) -> dict[str, int | float]:
        """The keywords :func:`~bci_attn.models.build_model` takes for this input:
        ``n_chans``, ``n_times``, ``n_outputs`` and ``sfreq``."""
        return {
            "n_chans": self.n_chans,
            "n_times": self.n_times,
            "n_outputs": self.n_outputs,
            "sfreq": self.sfreq,
        }

    def describe(self) -> str:
        """One line: dataset, electrodes × samples, window, rate and classes."""
        return (
            f"{self.dataset}: {self.n_chans} electrodes x {self.n_times} samples "
            f"({self.seconds:g} s at {self.sfreq:g} Hz), {self.n_outputs} classes "
            f"({', '.join(self.classes)})"
        )


def _metadata(dataset) -> object | None:
    meta = getattr(dataset, "metadata", None)
    return meta if meta is not None else getattr(type(dataset), "METADATA", None)


def _eeg_count(dataset) -> tuple[int | None, str]:
    """EEG electrodes of a dataset from its own attributes or MOABB's catalogue, and which."""
    channels = getattr(dataset, "channels", None)  # SyntheticMotorImagery
    if isinstance(channels, (list, tuple)) and channels:
        return len(channels), "constructor"
    acquisition = getattr(_metadata(dataset), "acquisition", None)
    types = getattr(acquisition, "channel_types", None) or {}
    count = types.get("eeg")
    return (int(count) if count else None), "MOABB metadata"


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

    Raises
    ------
    ConfigError
        Key ``data.resample``: neither the native rate nor ``resample`` is known.
    """
    if native_sfreq is None:
        if resample is None:
            raise ConfigError("data.resample", "must be given: the dataset's rate is unknown")
        return round((stop - start) * resample) + 1
    n = round(stop * native_sfreq) - round(start * native_sfreq) + 1
    return n if resample is None else int(round(n * resample / native_sfreq))


def _electrodes(data: DataConfig, dataset, n_chans: int | None) -> tuple[int, str]:
    """Electrodes of a trial and where the number came from (see :func:`data_shape`)."""
    if data.channels:
        return len(data.channels), "data.channels"
    if n_chans is not None:
        if n_chans < 1:
            raise ValueError(f"n_chans must be at least 1, got {n_chans}")
        return n_chans, "n_chans"
    count, source = _eeg_count(dataset)
    if count is None:
        raise ValueError(
            f"dataset {dataset_name(dataset)}: its number of EEG electrodes is not in MOABB's "
            "metadata; give n_chans"
        )
    return count, source


def data_shape(data: DataConfig, *, n_chans: int | None = None) -> DataShape:
    """Input shape of ``data.dataset`` for ``data``'s window, from metadata (nothing loaded).

    Parameters
    ----------
    data : DataConfig
        Its dataset, classes (``classes``, ``n_classes``), window (``tmin``, ``tmax``),
        ``resample`` and ``channels`` are used.
    n_chans : int | None
        Electrodes, for a dataset whose metadata does not say (ignored when
        ``data.channels`` is given).

    Raises
    ------
    ValueError
        Unknown dataset or class, a window outside the trials, or an electrode count the
        dataset does not publish (and ``n_chans`` not given).
    """
    dataset = resolve_dataset(data.dataset)
    trial = check_window(dataset, data.tmin, data.tmax)
    stop = trial if data.tmax is None else data.tmax
    classes = choose_classes(dataset, Preprocessing.from_config(data))
    chans, chans_from = _electrodes(data, dataset, n_chans)
    native = _native_sfreq(dataset)
    onset = float(dataset.interval[0])
    return DataShape(
        dataset=dataset_name(dataset),
        n_chans=chans,
        n_times=epoch_samples(onset + data.tmin, onset + stop, native, data.resample),
        sfreq=float(data.resample if data.resample is not None else native),
        classes=classes,
        seconds=stop - data.tmin,
        native_sfreq=native,
        chans_from=chans_from,
    )


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
        """Parameters of the attention layers (network minus backbone)."""
        return self.params - self.backbone_params

    @property
    def attention_macs(self) -> int:
        """Multiply-adds of the attention layers (network minus backbone)."""
        return self.macs - self.backbone_macs

    @property
    def param_ratio(self) -> float:
        """Parameters of the network over the backbone's."""
        return self.params / self.backbone_params

    @property
    def mac_ratio(self) -> float:
        """Multiply-adds of the network over the backbone's."""
        return self.macs / self.backbone_macs


def count_parameters(module: torch.nn.Module) -> int:
    """Parameters of ``module``, trainable or not."""
    return sum(p.numel() for p in module.parameters())


def count_macs(model: torch.nn.Module, n_chans: int, n_times: int) -> tuple[int, dict[str, int]]:
    """Multiply-adds of one ``(1, n_chans, n_times)`` trial: the total and per top-level
    child (FLOPs / 2).

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


#: A backbone's own costs for a data shape: parameters, multiply-adds and feature maps.
Reference = tuple[int, int, dict[str, torch.Size]]


def backbone_costs(backbone: str, shape: DataShape) -> Reference:
    """Parameters, multiply-adds and feature maps of ``backbone`` alone for ``shape``."""
    model = build_model(backbone, **shape.dimensions)
    macs, _ = count_macs(model, shape.n_chans, shape.n_times)
    return count_parameters(model), macs, feature_maps(model, shape.n_chans, shape.n_times)


def summarize(
    backbone: str,
    attention: str,
    shape: DataShape,
    at: str | Sequence[str] | None = None,
    options: Mapping[str, object] | None = None,
    *,
    reference: Reference | None = None,
) -> ModelSummary:
    """Parameters and MACs of ``backbone`` + ``attention`` for ``shape``, and the backbone's.

    ``reference`` reuses the backbone's :func:`backbone_costs` across calls.

    Raises
    ------
    ValueError
        Unknown backbone, module, point or option, or a point the module refuses.
    """
    spec = get_backbone(backbone)
    name = attention_zoo.get_spec(attention).name
    points = resolve_points(backbone, name, at)
    base_params, base_macs, maps = reference or backbone_costs(backbone, shape)
    model = build_model(backbone, name, points, **shape.dimensions, attention_options=options)
    macs, by_child = count_macs(model, shape.n_chans, shape.n_times)
    layers = [
        LayerCost(
            f"attention_{point}",
            point,
            map_size(spec, maps[spec.points[point]]),
            count_parameters(model.get_submodule(f"attention_{point}")),
            by_child.get(f"attention_{point}", 0),
        )
        for point in (points if name != "none" else [])
    ]
    return ModelSummary(
        backbone, name, points, count_parameters(model), macs, base_params, base_macs, layers
    )


def refused_points(
    backbone: str, attention: str, shape: DataShape, maps: Mapping[str, torch.Size]
) -> list[str]:
    """Insertion points of ``backbone`` where ``attention`` (default options) refuses to
    build, given the backbone's feature ``maps`` (:func:`backbone_costs`)."""
    spec = get_backbone(backbone)
    refused = []
    for point, after in spec.points.items():
        channels, height, width = map_size(spec, maps[after])
        try:
            attention_zoo.create(
                attention,
                channels,
                height=height,
                width=width,
                sfreq=shape.sfreq * width / shape.n_times,
            )
        except ValueError:
            refused.append(point)
    return refused


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """One-trial passes through small networks: extra threads only add contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- formatting


def _int(n: int) -> str:
    return f"{n:,}"


def _ratio(r: float) -> str:
    return f"x{r:.4f}"


def _overhead(r: float) -> str:
    return f"{_ratio(r)} ({100 * (r - 1):+.2f}%)"


def format_summary(summary: ModelSummary, shape: DataShape) -> str:
    """Plain-text report of one model: the backbone, each attention layer, the total."""
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


def summary_report(
    backbones: Sequence[str],
    attention: str,
    shape: DataShape,
    at: str | Sequence[str] | None = None,
    options: Mapping[str, object] | None = None,
) -> str:
    """:func:`format_summary` of ``attention`` on each of ``backbones``, blank-line apart.

    Every backbone and point is checked before any model is built, so that bad input
    fails at once.

    Raises
    ------
    ValueError
        Unknown backbone, module, point or option (:class:`~bci_attn.config.ConfigError`
        for the backbone and the points), or a point the module refuses.
    """
    if not backbones:
        raise ConfigError("model.backbone", "must name at least one backbone")
    name = attention_zoo.get_spec(attention).name
    for backbone in backbones:
        resolve_points(backbone, name, at)
    with _one_thread():
        return "\n\n".join(
            format_summary(summarize(backbone, name, shape, at, options), shape)
            for backbone in backbones
        )


#: Columns of the table of every module (:func:`table_rows`).
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
#: The columns of numbers, aligned right.
NUMBERS = range(3, 9)


def table_rows(
    backbone: str,
    shape: DataShape,
    names: Sequence[str] | None = None,
    at: Sequence[str] | None = None,
) -> tuple[list[list[str]], list[str]]:
    """One row per module (:data:`COLUMNS`): its costs at its default point (or ``at``)
    and the points where it refuses to build.

    Parameters
    ----------
    backbone : str
    shape : DataShape
    names : sequence of str | None
        Attention modules; ``None`` for every registered one.
    at : sequence of str | None
        Insertion points for every module instead of their defaults.

    Returns
    -------
    rows : list of list of str
    notes : list of str
        One per module that refused to build at its point, saying why.
    """
    reference = backbone_costs(backbone, shape)
    rows, notes = [], []
    for name in attention_zoo.available() if names is None else names:
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
    """``rows`` under :data:`COLUMNS`, as a Markdown table or aligned plain text."""
    if markdown:
        head = "| " + " | ".join(COLUMNS) + " |"
        rules = ("---:" if i in NUMBERS else "---" for i in range(len(COLUMNS)))
        body = ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([head, "|" + "|".join(rules) + "|", *body])
    widths = [max(len(str(r[i])) for r in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    lines = []
    for row in [list(COLUMNS), *rows]:
        cells = [
            cell.rjust(width) if i in NUMBERS else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def zoo_report(
    backbones: Sequence[str],
    shape: DataShape,
    names: Sequence[str] | None = None,
    at: Sequence[str] | None = None,
) -> str:
    """The input shape, then for each backbone its title and the plain-text table of
    :func:`table_rows`, with a ``†`` note per module that refused to build."""
    parts = [shape.describe()]
    with _one_thread():
        for backbone in backbones:
            rows, notes = table_rows(backbone, shape, names, at)
            parts += ["", get_backbone(backbone).display_name, format_table(rows, False)]
            parts += [f"† {note}" for note in notes]
    return "\n".join(parts)


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
    backbones: Sequence[str],
    shape: DataShape,
    command: str,
    names: Sequence[str] | None = None,
    at: Sequence[str] | None = None,
) -> str:
    """The Markdown document of :func:`table_rows` for each backbone
    (``docs/attention_zoo.md``), naming the ``command`` that wrote it."""
    parts = [
        "# The attention zoo: parameters and multiply-adds",
        "",
        f"Generated by `{command}`; do not edit by hand, run the command again.",
        "",
        f"Input: {shape.describe()}; electrodes from {shape.chans_from}, no data loaded.",
        "",
        MARKDOWN_NOTES,
    ]
    with _one_thread():
        for backbone in backbones:
            rows, notes = table_rows(backbone, shape, names, at)
            title = f"## {get_backbone(backbone).display_name} (`{backbone}`)"
            parts += [title, "", format_table(rows, markdown=True), ""]
            if notes:
                parts += [*(f"- † {note}" for note in notes), ""]
    parts.append(attention_zoo.reference_table())
    return "\n".join(parts)
