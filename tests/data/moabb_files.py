"""Small recordings in the exact on-disk format of MOABB's BNCI loaders, with random EEG.

BNCI2014001 and BNCI2014004 cannot be downloaded on the machines that run the tests, so
these files stand in for them: MOABB's own loader (``moabb.datasets.bnci``) reads them, as
it reads the files it downloads. The format, as in the originals (BCI Competition IV 2a
and 2b, as MOABB serves them): a MATLAB file whose ``data`` is a cell array of runs, each a
struct with

- ``X``: samples × channels, microvolts (EEG then EOG);
- ``trial``: the 1-based sample (int32) of each trial's start (empty in the eye-movement
  runs);
- ``y``: each trial's class, 1-based into ``classes``;
- ``fs``: the sampling rate; ``classes``: the class names (``left hand``, ...);
- ``artifacts``: a flag per trial; ``gender`` and ``age`` of the subject.

Files lie where MOABB 1.7 stores the download of ``https://lampx.tugraz.at/~bci/database/
<code>/<file>``: ``<data folder>/MNE-bnci-data/~bci/database/<code>/<file>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import savemat


@dataclass(frozen=True)
class BNCIFormat:
    """What one BNCI motor-imagery dataset's files hold.

    Attributes
    ----------
    code : str
        The dataset's folder on the BNCI server (``001-2014``).
    prefix : str
        First letter of its files (``A01T.mat``).
    n_eeg, n_eog : int
        EEG and EOG channels, in that order in ``X``.
    classes : tuple of str
        Class names as the files spell them.
    runs_per_file : dict of str to int
        Runs with trials in the training (``T``) and evaluation (``E``) file.
    trial_seconds : float
        From one trial's start to the next (longer than MOABB's interval).
    """

    code: str
    prefix: str
    n_eeg: int
    n_eog: int
    classes: tuple[str, ...]
    runs_per_file: dict
    trial_seconds: float


BNCI2014001 = BNCIFormat(
    "001-2014", "A", 22, 3, ("left hand", "right hand", "feet", "tongue"), {"T": 2, "E": 2}, 7.0
)
BNCI2014004 = BNCIFormat("004-2014", "B", 3, 3, ("left hand", "right hand"), {"T": 2, "E": 1}, 9.0)

SFREQ = 250.0


def bnci_file(data_dir: Path, fmt: BNCIFormat, subject: int, part: str) -> Path:
    """Where MOABB looks for ``subject``'s training (``T``) or evaluation (``E``) file."""
    name = f"{fmt.prefix}{subject:02d}{part}.mat"
    return Path(data_dir) / "MNE-bnci-data" / "~bci" / "database" / fmt.code / name


def _run(fmt: BNCIFormat, trials_per_class: int, rng: np.random.Generator) -> dict:
    labels = rng.permutation(np.repeat(np.arange(1, len(fmt.classes) + 1), trials_per_class))
    spacing, lead = int(fmt.trial_seconds * SFREQ), int(2 * SFREQ)
    n_samples = 2 * lead + len(labels) * spacing
    X = 10 * rng.standard_normal((n_samples, fmt.n_eeg + fmt.n_eog))
    starts = lead + spacing * np.arange(len(labels)) + 1
    return {
        "X": X.astype(np.float32),
        "trial": starts.astype(np.int32)[:, None],
        "y": labels.astype(np.uint8)[:, None],
        "fs": SFREQ,
        "classes": np.array(fmt.classes, dtype=object),
        "artifacts": np.zeros((len(labels), 1)),
        "gender": "f",
        "age": 30,
    }


def write_bnci(
    data_dir: Path, fmt: BNCIFormat, subjects: list[int], trials_per_class: int = 3
) -> list[Path]:
    """Write ``subjects``' training and evaluation files of ``fmt`` with random EEG.

    Each file starts with an eye-movement run without trials, as the originals do.
    Returns the files written.
    """
    written = []
    for subject in subjects:
        for part, n_runs in fmt.runs_per_file.items():
            rng = np.random.default_rng([subject, ord(part)])
            eye_movements = _run(fmt, 0, rng) | {
                "trial": np.zeros((0, 1), np.int32),
                "y": np.zeros((0, 1), np.uint8),
            }
            runs = [eye_movements] + [_run(fmt, trials_per_class, rng) for _ in range(n_runs)]
            cells = np.empty(len(runs), dtype=object)
            cells[:] = runs
            path = bnci_file(data_dir, fmt, subject, part)
            path.parent.mkdir(parents=True, exist_ok=True)
            savemat(path, {"data": cells})
            written.append(path)
    return written
