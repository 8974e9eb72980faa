"""Synthetic motor-imagery EEG as a MOABB dataset, generated in memory.

The generator mimics the features motor-imagery decoders exploit in real recordings
(for instance BNCI2014001):

* an aperiodic 1/f ("pink") background, spatially smoothed as by volume conduction;
* mu (about 8-12 Hz) and beta (about 18-26 Hz) rhythms from three sensorimotor sources
  (left hand area under C3, right hand area under C4, foot area under Cz), plus an
  occipito-parietal alpha source and two subject-specific rhythmic sources that do not
  depend on the class;
* class-dependent event-related desynchronisation (ERD) of those rhythms during imagery,
  strongest over the contralateral hand area (right hand -> C3, left hand -> C4) or over
  the vertex for the feet, with "focal ERD / surround ERS" [1]_ [2]_: the hand areas
  synchronise slightly during foot or tongue imagery, and beta rebounds after imagery;
* subject-specific rhythm frequencies, source positions, spread and hemispheric
  asymmetry, ERD strength and ipsilateral involvement, noise level and electrode gains
  (so transfer across subjects is harder than within one), and a smaller
  session-to-session shift (cap placement, impedances, arousal).

Everything is drawn from ``numpy.random.SeedSequence((seed, subject[, session + 1]))``:
the same seed gives identical data, and one subject's data does not depend on which other
subjects are requested.

References
----------
.. [1] Pfurtscheller, G., & Lopes da Silva, F. H. (1999). Event-related EEG/MEG
   synchronization and desynchronization: basic principles. Clinical Neurophysiology,
   110(11), 1842-1857.
.. [2] Pfurtscheller, G., Brunner, C., Schloegl, A., & Lopes da Silva, F. H. (2006).
   Mu rhythm (de)synchronization and EEG single-trial classification of different motor
   imagery tasks. NeuroImage, 31(1), 153-159.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import mne
import numpy as np
from moabb.datasets.base import BaseDataset
from scipy import fft as sp_fft
from scipy.ndimage import uniform_filter1d

__all__ = ["DEFAULT_CHANNELS", "KNOWN_CLASSES", "SyntheticMotorImagery"]

#: The 22 electrodes of BNCI2014001 (BCI Competition IV 2a).
DEFAULT_CHANNELS: tuple[str, ...] = (
    "Fz", "FC3", "FC1", "FCz", "FC2", "FC4",
    "C5", "C3", "C1", "Cz", "C2", "C4", "C6",
    "CP3", "CP1", "CPz", "CP2", "CP4",
    "P1", "Pz", "P2", "POz",
)  # fmt: skip

#: Event codes, as in BNCI2014001.
KNOWN_CLASSES: dict[str, int] = {"left_hand": 1, "right_hand": 2, "feet": 3, "tongue": 4}

#: Sensorimotor sources and the electrode each lies under.
_SOURCES: dict[str, str] = {"left_area": "C3", "right_area": "C4", "foot_area": "Cz"}

#: Relative change of the rhythm amplitude of each source during imagery of each class,
#: in units of the subject's ERD strength (negative: ERD, positive: ERS) [1]_ [2]_. The
#: ipsilateral hand area's ERD (-0.3 here) is drawn per subject.
_ERD_PATTERN: dict[str, dict[str, float]] = {
    "left_hand": {"left_area": -0.3, "right_area": -1.0, "foot_area": 0.0},
    "right_hand": {"left_area": -1.0, "right_area": -0.3, "foot_area": 0.0},
    "feet": {"left_area": 0.35, "right_area": 0.35, "foot_area": -1.0},
    "tongue": {"left_area": 0.45, "right_area": 0.45, "foot_area": -0.2},
}

_FIXATION_S = 2.0  # trial start (event) to cue
_IMAGERY_S = 3.0  # cue to end of imagery
_LEAD_S = 3.0  # recording before the first trial
_TAIL_S = 3.0  # recording after the last trial
_LINE_FREQ = 50.0


@lru_cache(maxsize=1)
def _montage() -> mne.channels.DigMontage:
    """The standard 10-20 montage (``colin27_1020``, its name from MNE 1.13 on)."""
    name = "colin27_1020" if "colin27_1020" in mne.channels.get_builtin_montages() else None
    return mne.channels.make_standard_montage(name or "standard_1020")


def _positions(names: Sequence[str]) -> np.ndarray:
    """3-D positions (m) of 10-20 electrodes, shape ``(len(names), 3)``."""
    pos = _montage().get_positions()["ch_pos"]
    return np.array([pos[name] for name in names])


@dataclass(frozen=True)
class _SubjectParams:
    """What makes one subject's EEG differ from another's."""

    mu_freq: float
    beta_freq: float
    mu_bw: float
    beta_bw: float
    alpha_freq: float
    exponent: float
    noise_uv: float
    mu_uv: float
    beta_ratio: float
    alpha_uv: float
    spread_m: float
    source_shift_m: np.ndarray  # (n_sources, 3)
    source_gains: np.ndarray  # (n_sources,) hemispheric asymmetry of the rhythms
    ipsilateral: float  # ERD over the ipsilateral hand area, relative to contralateral
    erd_strength: float
    failure_rate: float
    gains: np.ndarray  # (n_channels,)
    nuisance_pos: np.ndarray  # (n_nuisance, 3) class-independent rhythmic sources
    nuisance_freq: np.ndarray  # (n_nuisance,)
    nuisance_uv: np.ndarray  # (n_nuisance,)


@dataclass(frozen=True)
class _SessionParams:
    """A session of one subject: its small shift from the subject's average."""

    mu_freq: float
    beta_freq: float
    noise_uv: float
    erd_strength: float
    source_shift_m: np.ndarray  # (n_sources, 3)
    gains: np.ndarray  # (n_channels,)


def _draw_subject(rng: np.random.Generator, n_channels: int) -> _SubjectParams:
    """Draw what characterises one subject."""
    n_nuisance = 2
    anchors = rng.choice(list(DEFAULT_CHANNELS), size=n_nuisance, replace=False)
    return _SubjectParams(
        mu_freq=rng.uniform(8.5, 12.5),
        beta_freq=rng.uniform(18.0, 26.0),
        mu_bw=rng.uniform(0.8, 1.6),
        beta_bw=rng.uniform(1.5, 3.0),
        alpha_freq=rng.uniform(9.0, 11.5),
        exponent=rng.uniform(1.0, 1.8),
        noise_uv=rng.uniform(9.0, 14.0),
        mu_uv=rng.uniform(4.0, 9.0),
        beta_ratio=rng.uniform(0.3, 0.6),
        alpha_uv=rng.uniform(2.0, 5.0),
        spread_m=rng.uniform(0.025, 0.04),
        source_shift_m=rng.normal(0.0, 0.015, size=(len(_SOURCES), 3)),
        source_gains=np.exp(rng.normal(0.0, 0.4, size=len(_SOURCES))),
        ipsilateral=rng.uniform(0.1, 0.5),
        erd_strength=rng.uniform(0.4, 0.8),
        failure_rate=rng.uniform(0.02, 0.15),
        gains=np.exp(rng.normal(0.0, 0.25, size=n_channels)),
        nuisance_pos=_positions(anchors) + rng.normal(0.0, 0.01, size=(n_nuisance, 3)),
        nuisance_freq=rng.uniform(8.0, 25.0, size=n_nuisance),
        nuisance_uv=rng.uniform(1.0, 4.0, size=n_nuisance),
    )


def _draw_session(rng: np.random.Generator, subj: _SubjectParams) -> _SessionParams:
    """Draw a session of ``subj``: small shifts of its frequencies, gains and positions."""
    return _SessionParams(
        mu_freq=subj.mu_freq + rng.normal(0.0, 0.2),
        beta_freq=subj.beta_freq + rng.normal(0.0, 0.5),
        noise_uv=subj.noise_uv * rng.uniform(0.9, 1.1),
        erd_strength=float(np.clip(subj.erd_strength * rng.uniform(0.85, 1.15), 0.05, 0.9)),
        source_shift_m=subj.source_shift_m
        + rng.normal(0.0, 0.004, size=subj.source_shift_m.shape),
        gains=subj.gains * np.exp(rng.normal(0.0, 0.05, size=subj.gains.shape)),
    )


def _spectral_noise(
    rng: np.random.Generator,
    n_series: int,
    n_times: int,
    sfreq: float,
    shape: Callable[[np.ndarray], np.ndarray],
    band: tuple[float, float] = (0.0, np.inf),
    random_amplitude: bool = True,
) -> np.ndarray:
    """Zero-mean Gaussian noise of unit variance whose amplitude spectrum is ``shape(f)``.

    Only the frequencies in ``band`` are drawn (the rest is zero), which keeps narrow-band
    signals cheap; the FFT runs on a fast length and is cut to ``n_times``.
    """
    n_fft = sp_fft.next_fast_len(n_times, real=True)
    freqs = sp_fft.rfftfreq(n_fft, 1.0 / sfreq)
    lo, hi = np.searchsorted(freqs, band[0]), np.searchsorted(freqs, band[1], side="right")
    lo = max(lo, 1)  # no DC: zero mean
    amp = shape(freqs[lo:hi]).astype(np.float32)
    size = (n_series, hi - lo)
    if random_amplitude:  # complex Gaussian coefficients
        spectrum = np.zeros((n_series, freqs.size), dtype=np.complex64)
        spectrum[:, lo:hi].real = rng.standard_normal(size, dtype=np.float32) * amp
        spectrum[:, lo:hi].imag = rng.standard_normal(size, dtype=np.float32) * amp
        power = np.sum(np.abs(spectrum[:, lo:hi]) ** 2, axis=-1, dtype=np.float64)
    else:  # random phases only: cheaper, and Gaussian in time by the central limit
        phase = rng.random(size, dtype=np.float32) * np.float32(2 * np.pi)
        spectrum = np.zeros((n_series, freqs.size), dtype=np.complex64)
        spectrum[:, lo:hi].real = amp * np.cos(phase)
        spectrum[:, lo:hi].imag = amp * np.sin(phase)
        power = np.full(n_series, np.sum(amp.astype(np.float64) ** 2))
    spectrum /= np.sqrt(2.0 * power / n_fft**2)[:, None].astype(np.float32)
    return sp_fft.irfft(spectrum, n=n_fft, axis=-1)[:, :n_times]


def _pink(
    rng: np.random.Generator, n_series: int, n_times: int, sfreq: float, exponent: float
) -> np.ndarray:
    """Aperiodic noise with power spectrum ``1 / f**exponent`` above 0.5 Hz."""

    def amplitude(f: np.ndarray) -> np.ndarray:
        return np.maximum(f, 0.5) ** (-exponent / 2.0)

    return _spectral_noise(rng, n_series, n_times, sfreq, amplitude, random_amplitude=False)


def _narrowband(
    rng: np.random.Generator, n_series: int, n_times: int, sfreq: float, freq: float, bw: float
) -> np.ndarray:
    """Rhythm with a Gaussian spectral peak at ``freq`` (standard deviation ``bw`` Hz)."""

    def amplitude(f: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * ((f - freq) / bw) ** 2)

    return _spectral_noise(
        rng, n_series, n_times, sfreq, amplitude, band=(freq - 4 * bw, freq + 4 * bw)
    )


def _lowpass_noise(
    rng: np.random.Generator, n_times: int, sfreq: float, cutoff: float
) -> np.ndarray:
    """One slow Gaussian fluctuation of unit variance, Gaussian spectrum of width ``cutoff``."""
    return _spectral_noise(
        rng, 1, n_times, sfreq, lambda f: np.exp(-0.5 * (f / cutoff) ** 2), band=(0, 4 * cutoff)
    )[0]


def _forward(sources: np.ndarray, electrodes: np.ndarray, spread: float) -> np.ndarray:
    """Gaussian spatial spread of sources onto electrodes, shape ``(n_channels, n_sources)``."""
    dist = np.linalg.norm(electrodes[:, None, :] - sources[None, :, :], axis=-1)
    return np.exp(-0.5 * (dist / spread) ** 2)


def _volume_conduction(electrodes: np.ndarray, length: float = 0.03) -> np.ndarray:
    """Mixing that correlates neighbouring electrodes, rows of unit norm."""
    dist = np.linalg.norm(electrodes[:, None, :] - electrodes[None, :, :], axis=-1)
    mix = np.exp(-dist / length)
    return mix / np.linalg.norm(mix, axis=1, keepdims=True)


def _schedule(
    rng: np.random.Generator, classes: Sequence[str], n_per_class: int, sfreq: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Trial onsets (samples), class indices in random order, and the run length."""
    labels = rng.permutation(np.repeat(np.arange(len(classes)), n_per_class))
    rest = rng.uniform(1.5, 2.5, size=labels.size)
    trial = _FIXATION_S + _IMAGERY_S + rest
    starts = _LEAD_S + np.concatenate([[0.0], np.cumsum(trial)[:-1]])
    n_times = int(np.ceil((_LEAD_S + trial.sum() + _TAIL_S) * sfreq))
    return np.round(starts * sfreq).astype(int), labels, n_times


def _erd_pattern(classes: Sequence[str], ipsilateral: float) -> np.ndarray:
    """Amplitude change of each source for each class, ``(n_classes, n_sources)``."""
    table = {c: dict(v) for c, v in _ERD_PATTERN.items()}
    table["left_hand"]["left_area"] = table["right_hand"]["right_area"] = -ipsilateral
    return np.array([[table[c][s] for s in _SOURCES] for c in classes])


def _envelopes(
    rng: np.random.Generator,
    onsets: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    erd_strength: float,
    ipsilateral: float,
    failure_rate: float,
    n_times: int,
    sfreq: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude envelopes of the mu and beta rhythm of each source, ``(n_sources, n_times)``.

    During imagery each source's amplitude is scaled by ``1 + pattern * depth``, with a
    per-trial depth around ``erd_strength`` (zero for a failed trial) and a latency of a
    few hundred milliseconds; beta rebounds above baseline after imagery.
    """
    pattern = _erd_pattern(classes, ipsilateral)
    names = list(_SOURCES)
    mu = np.zeros((len(names), n_times))
    rebound = np.zeros((len(names), n_times))
    for onset, label in zip(onsets, labels, strict=True):
        depth = erd_strength * rng.uniform(0.6, 1.3) * (rng.random() >= failure_rate)
        start = onset + int((_FIXATION_S + rng.uniform(0.2, 0.6)) * sfreq)
        stop = onset + int((_FIXATION_S + _IMAGERY_S + rng.uniform(0.0, 0.3)) * sfreq)
        mu[:, start:stop] += pattern[label][:, None] * depth
        after = slice(stop + int(0.3 * sfreq), stop + int(1.3 * sfreq))
        rebound[:, after] += np.clip(-pattern[label], 0.0, None)[:, None] * depth * 0.8
    width = int(0.5 * sfreq)
    mu = uniform_filter1d(mu, width, axis=-1, mode="nearest")
    rebound = uniform_filter1d(rebound, width, axis=-1, mode="nearest")
    mu = np.clip(1.0 + mu, 0.05, None)
    beta = np.clip(mu * 0.9 + 0.1 + rebound, 0.05, None)
    return mu, beta


def _slow_drift(rng: np.random.Generator, n_times: int, sfreq: float) -> np.ndarray:
    """Slow log-normal fluctuation (arousal, fatigue) of the rhythms, time scale ~20 s."""
    return np.exp(0.2 * _lowpass_noise(rng, n_times, sfreq, 0.05))


def _simulate_run(
    rng: np.random.Generator,
    subj: _SubjectParams,
    sess: _SessionParams,
    ch_names: Sequence[str],
    classes: Sequence[str],
    n_per_class: int,
    sfreq: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EEG in volts ``(n_channels, n_times)``, trial onsets (samples) and class indices."""
    onsets, labels, n_times = _schedule(rng, classes, n_per_class, sfreq)
    electrodes = _positions(ch_names)
    sources = _positions(list(_SOURCES.values())) + sess.source_shift_m
    forward = _forward(sources, electrodes, subj.spread_m) * subj.source_gains

    mu_env, beta_env = _envelopes(
        rng,
        onsets,
        labels,
        classes,
        sess.erd_strength,
        subj.ipsilateral,
        subj.failure_rate,
        n_times,
        sfreq,
    )
    drift = _slow_drift(rng, n_times, sfreq)
    n_src = len(_SOURCES)
    mu = _narrowband(rng, n_src, n_times, sfreq, sess.mu_freq, subj.mu_bw)
    beta = _narrowband(rng, n_src, n_times, sfreq, sess.beta_freq, subj.beta_bw)
    alpha_src = _positions(["Oz"]) + np.array([0.0, 0.01, 0.0])
    alpha = _narrowband(rng, 1, n_times, sfreq, subj.alpha_freq, 1.0)
    alpha *= np.exp(0.3 * _lowpass_noise(rng, n_times, sfreq, 0.1))
    nuisance = np.vstack(
        [
            _narrowband(rng, 1, n_times, sfreq, freq, 1.5)[0]
            * np.exp(0.4 * _lowpass_noise(rng, n_times, sfreq, 0.1))
            for freq in subj.nuisance_freq
        ]
    )
    line = np.sin(2 * np.pi * _LINE_FREQ * np.arange(n_times) / sfreq + rng.uniform(0, 2 * np.pi))
    signals = [  # (mixing onto electrodes in microvolts, source time courses)
        (
            sess.noise_uv * _volume_conduction(electrodes),
            _pink(rng, len(ch_names), n_times, sfreq, subj.exponent),
        ),
        (subj.mu_uv * forward, mu * mu_env * drift),
        (subj.mu_uv * subj.beta_ratio * forward, beta * beta_env * drift),
        (subj.alpha_uv * _forward(alpha_src, electrodes, 0.05), alpha),
        (_forward(subj.nuisance_pos, electrodes, 0.03) * subj.nuisance_uv, nuisance),
        (rng.uniform(0.2, 1.0, size=(len(ch_names), 1)), line[None, :]),
    ]
    mixing = np.hstack([m for m, _ in signals]) * (sess.gains[:, None] * 1e-6)
    sources_t = np.vstack([x.astype(np.float32, copy=False) for _, x in signals])
    eeg = mixing.astype(np.float32) @ sources_t
    return eeg, onsets, labels


class SyntheticMotorImagery(BaseDataset):
    """Realistic synthetic motor-imagery EEG, generated in memory, as a MOABB dataset.

    Trials follow BNCI2014001's timing: the event marks the trial start (fixation), the
    cue comes 2 s later and imagery lasts 3 s (``interval = [2, 5]``; BNCI2014001 has 4 s),
    then 1.5-2.5 s of rest.
    Imagery desynchronises the mu and beta rhythms over the sensorimotor area of the
    imagined body part (event-related desynchronisation, ERD) [1]_: right hand over C3,
    left hand over C4, feet over Cz; tongue imagery has no lateralised ERD but a weak
    synchronisation of the hand areas [2]_. See the module docstring for the model.

    The defaults (4 subjects, 3 classes, 15 trials per class and session) keep the
    toolkit's main job under a minute on two CPU cores; ``n_subjects=9,
    n_trials_per_class=72, classes=(..., "tongue")`` gives a BNCI2014001-sized set.

    Parameters
    ----------
    n_subjects : int
        Number of subjects, numbered from 1.
    n_sessions : int
        Sessions per subject, named ``"0"``, ``"1"``, ...; each holds one run ``"0"``.
    n_trials_per_class : int
        Trials of each class in each session.
    classes : sequence of str
        Imagery classes, a subset of ``left_hand``, ``right_hand``, ``feet``, ``tongue``.
    sfreq : float
        Sampling frequency in Hz (at least 100).
    seed : int or None
        Seed of all randomness; ``None`` draws fresh data at each call.
    channels : sequence of str
        Electrode names, all in the standard 10-20 montage; default: the 22 electrodes
        of BNCI2014001.

    Raises
    ------
    ValueError
        On a non-positive count, an unknown or repeated class or electrode, a too low
        sampling frequency or a negative seed.

    References
    ----------
    .. [1] Pfurtscheller, G., & Lopes da Silva, F. H. (1999). Event-related EEG/MEG
       synchronization and desynchronization: basic principles. Clinical
       Neurophysiology, 110(11), 1842-1857.
    .. [2] Pfurtscheller, G., Brunner, C., Schloegl, A., & Lopes da Silva, F. H. (2006).
       Mu rhythm (de)synchronization and EEG single-trial classification of different
       motor imagery tasks. NeuroImage, 31(1), 153-159.

    Examples
    --------
    >>> from moabb.paradigms import LeftRightImagery
    >>> dataset = SyntheticMotorImagery(n_subjects=2, seed=0)
    >>> X, y, meta = LeftRightImagery().get_data(dataset, subjects=[1])  # doctest: +SKIP
    """

    #: Bumped whenever the generator changes, so caches keyed on attributes invalidate.
    generator_version = 2
    #: Generated in memory: no data folder, no download.
    in_memory = True

    def __init__(
        self,
        n_subjects: int = 4,
        n_sessions: int = 2,
        n_trials_per_class: int = 15,
        classes: Sequence[str] = ("left_hand", "right_hand", "feet"),
        sfreq: float = 250.0,
        seed: int | None = 42,
        channels: Sequence[str] = DEFAULT_CHANNELS,
    ) -> None:
        classes = tuple(classes) if not isinstance(classes, str) else (classes,)
        channels = tuple(channels) if not isinstance(channels, str) else (channels,)
        _validate(n_subjects, n_sessions, n_trials_per_class, classes, sfreq, seed, channels)
        self.n_trials_per_class = int(n_trials_per_class)
        self.classes = classes
        self.sfreq = float(sfreq)
        self.seed = seed
        self.channels = channels
        self.generator_version = type(self).generator_version
        super().__init__(
            subjects=list(range(1, n_subjects + 1)),
            sessions_per_subject=n_sessions,
            events={c: KNOWN_CLASSES[c] for c in classes},
            code=self._code(n_subjects, n_sessions),
            interval=[_FIXATION_S, _FIXATION_S + _IMAGERY_S],
            paradigm="imagery",
            doi=None,
        )

    def _get_single_subject_data(self, subject: int) -> dict[str, dict[str, mne.io.RawArray]]:
        """Simulate every session of ``subject``: ``{session: {run: raw}}``."""
        if subject not in self._all_subjects:
            raise ValueError(f"subject {subject} not in 1..{len(self._all_subjects)}")
        entropy = (np.random.SeedSequence().entropy if self.seed is None else self.seed,)
        subj_rng = np.random.default_rng(np.random.SeedSequence((*entropy, subject)))
        subj = _draw_subject(subj_rng, len(self.channels))
        data = {}
        for session in range(self.n_sessions):
            rng = np.random.default_rng(np.random.SeedSequence((*entropy, subject, session + 1)))
            sess = _draw_session(rng, subj)
            eeg, onsets, labels = _simulate_run(
                rng, subj, sess, self.channels, self.classes, self.n_trials_per_class, self.sfreq
            )
            codes = np.array([KNOWN_CLASSES[c] for c in self.classes])[labels]
            data[str(session)] = {"0": self._to_raw(eeg, onsets, codes, subject)}
        return data

    def _to_raw(
        self, eeg: np.ndarray, onsets: np.ndarray, codes: np.ndarray, subject: int
    ) -> mne.io.RawArray:
        """Wrap EEG (volts) and event codes in a Raw with a ``STI`` channel and montage."""
        stim = np.zeros((1, eeg.shape[1]))
        stim[0, onsets] = codes
        info = mne.create_info(
            [*self.channels, "STI"], self.sfreq, ["eeg"] * len(self.channels) + ["stim"]
        )
        info["line_freq"] = _LINE_FREQ
        info["subject_info"] = {"id": int(subject), "his_id": f"sub-{subject:02d}"}
        raw = mne.io.RawArray(np.vstack([eeg, stim]), info, verbose=False)
        raw.set_montage(_montage(), verbose=False)
        return raw

    def _code(self, n_subjects: int, n_sessions: int) -> str:
        """MOABB code (Camel-KebabCase) that names the parameters, so caches never collide."""
        names = "-".join(re.sub("[^a-z0-9]", "", c.lower()) for c in self.classes)
        seed = "none" if self.seed is None else self.seed
        return (
            f"SyntheticMotorImagery-{n_subjects}-{n_sessions}-{self.n_trials_per_class}-"
            f"{int(round(self.sfreq))}-seed{seed}-{names}"
        )

    def data_path(
        self,
        subject: int,
        path: str | None = None,
        force_update: bool = False,
        update_path: bool | None = None,
        verbose: bool | str | int | None = None,
    ) -> list:
        """Nothing to download: the data are generated in memory. Returns ``[]``."""
        return []


def _validate(
    n_subjects: int,
    n_sessions: int,
    n_trials_per_class: int,
    classes: tuple[str, ...],
    sfreq: float,
    seed: int | None,
    channels: tuple[str, ...],
) -> None:
    """Raise ValueError, saying what is accepted, on a bad constructor argument."""
    for name, value in (
        ("n_subjects", n_subjects),
        ("n_sessions", n_sessions),
        ("n_trials_per_class", n_trials_per_class),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    unknown = [c for c in classes if c not in KNOWN_CLASSES]
    if unknown or not classes or len(set(classes)) != len(classes):
        raise ValueError(
            f"classes must be distinct names among {list(KNOWN_CLASSES)}, got {list(classes)}"
        )
    if not isinstance(sfreq, (int, float, np.number)) or not sfreq >= 100:
        raise ValueError(f"sfreq must be at least 100 Hz (rhythms up to ~30 Hz), got {sfreq!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    montage = set(_montage().ch_names)
    missing = [c for c in channels if c not in montage]
    if missing or not channels or len(set(channels)) != len(channels):
        raise ValueError(
            f"channels must be distinct standard 10-20 electrode names; not in the montage: "
            f"{missing}" + ("" if missing else f" (got {list(channels)})")
        )
