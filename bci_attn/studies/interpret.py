"""What a trained model attends to: scalp maps, temporal profiles, filters and their spectra.

- :func:`electrode_weights`: electrode-attention weights ``(trials, E)``, drawn on the scalp
  with MNE's ``plot_topomap`` and the dataset's montage (:func:`plot_scalp_maps`);
- :func:`spatial_filters`: EEGNet's depthwise spatial filters ``(F1·D, E)``, drawn the same
  way;
- :func:`temporal_profiles`: temporal (or spatial-over-time) attention per trial, averaged
  per class by :func:`plot_temporal_by_class`;
- :func:`channel_weights` with :func:`temporal_filters`: the channel-attention weight of each
  temporal filter next to that filter's frequency response (:func:`plot_filter_weights`).

:func:`interpret_run` draws all that applies for one fold of a run folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..attention.maps import attention_maps, clear_attention_maps


def collect_maps(
    model: nn.Module, X: np.ndarray, batch_size: int = 256
) -> dict[str, dict[str, np.ndarray]]:
    """Attention weights of every layer for every trial of ``X``: ``{layer: {kind: array}}``."""
    parts: dict[str, dict[str, list[np.ndarray]]] = {}
    model.eval()
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            model(torch.as_tensor(X[start : start + batch_size], dtype=torch.float32))
            for layer, kinds in attention_maps(model).items():
                for kind, weights in kinds.items():
                    parts.setdefault(layer, {}).setdefault(kind, []).append(weights.cpu().numpy())
    clear_attention_maps(model)
    return {
        layer: {kind: np.concatenate(chunks) for kind, chunks in kinds.items()}
        for layer, kinds in parts.items()
    }


def electrode_weights(maps: dict) -> dict[str, np.ndarray]:
    """``{layer: (trials, E)}`` of the layers that weigh electrodes."""
    return {layer: kinds["electrode"] for layer, kinds in maps.items() if "electrode" in kinds}


def channel_weights(maps: dict) -> dict[str, np.ndarray]:
    """``{layer: (trials, C)}`` of the layers that weigh feature channels."""
    return {layer: kinds["channel"] for layer, kinds in maps.items() if "channel" in kinds}


def temporal_profiles(maps: dict) -> dict[str, np.ndarray]:
    """``{layer: (trials, T)}``: ``"temporal"`` weights, else ``"spatial"`` averaged over rows."""
    profiles = {}
    for layer, kinds in maps.items():
        if "temporal" in kinds:
            profiles[layer] = kinds["temporal"]
        elif "spatial" in kinds and kinds["spatial"].ndim == 3:
            profiles[layer] = kinds["spatial"].mean(axis=1)
    return profiles


def _layer(model: nn.Module, name: str) -> nn.Module | None:
    return dict(model.named_modules()).get(name)


def spatial_filters(model: nn.Module) -> np.ndarray | None:
    """EEGNet's depthwise spatial filters ``(F1·D, E)`` (with their norm constraint), or None."""
    conv = _layer(model, "conv_spatial")
    if conv is None:
        return None
    return conv.weight.detach().cpu().numpy()[:, 0, :, 0]


def temporal_filters(model: nn.Module) -> np.ndarray | None:
    """First-layer temporal filters ``(F, K)``: EEGNet's or ShallowFBCSPNet's, or None."""
    for name in ("conv_temporal", "conv_time_spat.conv_time"):
        conv = _layer(model, name)
        if conv is not None:
            return conv.weight.detach().cpu().numpy().reshape(conv.weight.shape[0], -1)
    return None


def frequency_responses(
    filters: np.ndarray, sfreq: float, n_freqs: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Gain (dB, each filter's peak at 0 dB) of FIR ``filters`` ``(F, K)``: ``(freqs, (F, n))``."""
    from scipy.signal import freqz

    gains = []
    for taps in filters:
        freqs, response = freqz(taps, worN=n_freqs, fs=sfreq)
        magnitude = np.abs(response)
        gains.append(20 * np.log10(magnitude / (magnitude.max() + 1e-12) + 1e-12))
    return freqs, np.array(gains)


def montage_info(ch_names: list[str], sfreq: float):
    """MNE ``Info`` with standard 10-05 positions for the named electrodes.

    Returns
    -------
    info : mne.Info
        Only the electrodes the montage knows.
    kept : np.ndarray of int
        Their indices in ``ch_names``.
    """
    import mne

    builtin = mne.channels.get_builtin_montages()
    montage = mne.channels.make_standard_montage(
        "colin27_1005" if "colin27_1005" in builtin else "standard_1005"
    )
    known = {name.lower() for name in montage.ch_names}
    kept = np.array([i for i, n in enumerate(ch_names) if n.lower() in known], dtype=int)
    if len(kept) < 3:
        raise ValueError(
            f"fewer than 3 of the electrodes {ch_names} have standard positions: "
            "no scalp map can be drawn"
        )
    info = mne.create_info([ch_names[i] for i in kept], sfreq, "eeg")
    info.set_montage(montage, match_case=False, on_missing="ignore")
    return info, kept


def plot_scalp_maps(
    weights: np.ndarray,
    ch_names: list[str],
    titles: list[str],
    path: str | os.PathLike,
    suptitle: str = "",
    sfreq: float = 128.0,
    cmap: str = "viridis",
) -> Path:
    """One scalp map per row of ``weights`` ``(k, E)``, saved as a PNG at ``path``."""
    import matplotlib.pyplot as plt
    import mne

    info, kept = montage_info(ch_names, sfreq)
    weights = np.atleast_2d(weights)
    columns = min(len(weights), 4)
    rows = int(np.ceil(len(weights) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.6 * rows), squeeze=False)
    for ax in axes.flat[len(weights) :]:
        ax.set_axis_off()
    for ax, row, title in zip(axes.flat, weights, titles, strict=False):
        image, _ = mne.viz.plot_topomap(row[kept], info, axes=ax, show=False, cmap=cmap)
        fig.colorbar(image, ax=ax, shrink=0.7)
        ax.set_title(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return save_figure(fig, path)


def plot_temporal_by_class(
    profiles: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    duration: float,
    path: str | os.PathLike,
    title: str = "",
    tmin: float = 0.0,
) -> Path:
    """Mean (± s.e.m.) attention over time per class; ``profiles`` ``(trials, T)``."""
    import matplotlib.pyplot as plt

    times = tmin + np.linspace(0, duration, profiles.shape[1], endpoint=False)
    fig, ax = plt.subplots(figsize=(6, 3))
    for index, name in enumerate(classes):
        chosen = profiles[y == index]
        if len(chosen) == 0:
            continue
        mean = chosen.mean(0)
        sem = chosen.std(0) / np.sqrt(len(chosen))
        ax.plot(times, mean, label=f"{name} ({len(chosen)})")
        ax.fill_between(times, mean - sem, mean + sem, alpha=0.2)
    ax.set_xlabel("time in the trial (s)")
    ax.set_ylabel("attention weight")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_filter_weights(
    weights: np.ndarray,
    freqs: np.ndarray | None,
    responses: np.ndarray | None,
    path: str | os.PathLike,
    title: str = "",
) -> Path:
    """Mean channel-attention weight per filter, and each filter's frequency response.

    ``weights`` ``(trials, C)``; ``responses`` ``(C, n)`` in dB, or None when the channels
    are not temporal filters (then only the weights are drawn).
    """
    import matplotlib.pyplot as plt

    mean = weights.mean(0)
    panels = 2 if responses is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3), squeeze=False)
    axes[0, 0].bar(np.arange(len(mean)), mean, yerr=weights.std(0), color="tab:blue")
    axes[0, 0].set_xlabel("temporal filter" if responses is not None else "feature channel")
    axes[0, 0].set_ylabel("channel-attention weight")
    if responses is not None:
        colours = plt.cm.viridis((mean - mean.min()) / (np.ptp(mean) + 1e-12))
        for index, (gain, colour) in enumerate(zip(responses, colours, strict=True)):
            axes[0, 1].plot(freqs, gain, color=colour, label=f"{index}: {mean[index]:.2f}")
        axes[0, 1].set_xlabel("frequency (Hz)")
        axes[0, 1].set_ylabel("gain (dB)")
        axes[0, 1].set_ylim(-40, 3)
        axes[0, 1].legend(fontsize=6, ncol=2, title="filter: weight", title_fontsize=6)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def save_figure(fig, path: str | os.PathLike) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


#: Insertion points whose feature channels are the first layer's temporal filters.
TEMPORAL_FILTER_POINTS = {"attention_temporal", "attention_conv"}


def interpret_run(
    folder: str | os.PathLike,
    fold: str | None = None,
    seed: int | None = None,
    out: str | os.PathLike | None = None,
) -> list[Path]:
    """Draw every interpretability figure that applies to one trained fold of a run.

    Parameters
    ----------
    folder : path
        A run folder with saved models (``folds/<fold>-seed<k>.pt``).
    fold, seed
        The model to explain; default: the first saved one.
    out : path
        Where the PNGs go (default: ``<folder>/figures``).

    Returns
    -------
    list of Path
        The figures written.

    Raises
    ------
    ValueError
        No saved model in the folder.
    """
    from ..evaluation.folder import RunFolder
    from ..evaluation.preparation import prepare
    from ..evaluation.records import config_of, load_model
    from ..training.batches import standardise

    stored = RunFolder(folder).config()
    config = config_of(stored).replace(quiet=True)
    saved = RunFolder(folder).saved_models()
    if not saved:
        raise ValueError(f"{folder}: no saved model (folds/*.pt); run it with this version")
    if fold is None or seed is None:
        matching = [(f, s) for f, s in saved if fold in (None, f) and seed in (None, s)]
        if not matching:
            listed = ", ".join(f"{f}-seed{s}" for f, s in saved)
            raise ValueError(
                f"{folder}: no saved model for fold {fold} seed {seed}; saved: {listed}"
            )
        fold, seed = matching[0]
    out = Path(out or Path(folder) / "figures")
    model = load_model(folder, fold, seed)
    ready = prepare(config)
    data, chosen = ready.data, ready.select(fold)
    X = standardise(data.X[chosen.train], data.X[chosen.test])[1]
    y = data.y[chosen.test]
    maps = collect_maps(model, X)
    tag = f"{data.dataset} {config.model.backbone}+{config.model.attention}, {fold} seed {seed}"
    figures = []
    for layer, weights in electrode_weights(maps).items():
        per_class = [weights[y == k].mean(0) for k in range(len(data.classes)) if (y == k).any()]
        figures.append(
            plot_scalp_maps(
                np.vstack([weights.mean(0), *per_class]),
                data.ch_names,
                ["all trials", *[c for k, c in enumerate(data.classes) if (y == k).any()]],
                out / f"electrode_attention_{layer}.png",
                f"electrode attention ({layer}), {tag}",
                data.sfreq,
            )
        )
    filters = spatial_filters(model)
    if filters is not None:
        figures.append(
            plot_scalp_maps(
                filters,
                data.ch_names,
                [f"spatial filter {k}" for k in range(len(filters))],
                out / "eegnet_spatial_filters.png",
                f"EEGNet spatial filters, {tag}",
                data.sfreq,
                cmap="RdBu_r",
            )
        )
    for layer, profiles in temporal_profiles(maps).items():
        figures.append(
            plot_temporal_by_class(
                profiles,
                y,
                data.classes,
                data.n_times / data.sfreq,
                out / f"temporal_attention_{layer}.png",
                f"attention over time per class ({layer}), {tag}",
                tmin=config.data.tmin,
            )
        )
    taps = temporal_filters(model)
    for layer, weights in channel_weights(maps).items():
        matched = layer in TEMPORAL_FILTER_POINTS and taps is not None
        freqs, responses = frequency_responses(taps, data.sfreq) if matched else (None, None)
        figures.append(
            plot_filter_weights(
                weights,
                freqs,
                responses if matched and len(responses) == weights.shape[1] else None,
                out / f"channel_attention_{layer}.png",
                f"channel attention ({layer}), {tag}",
            )
        )
    return figures
