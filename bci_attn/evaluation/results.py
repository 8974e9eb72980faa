"""What one unit of work produces: a typed fold result, as it is stored in ``folds/*.json``.

A :class:`FoldResult` is the outcome of one training (a configuration's model trained on
one fold with one seed): its sizes, timing, how it was trained, and a :class:`Score` per
test subject and calibration size (0: zero-shot). Its JSON form is the one bci-attn 0.1
wrote; :meth:`FoldResult.from_dict` also reads the files of versions before calibration
existed, and names the file and the missing field of anything else.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Score:
    """One test subject's scores at one calibration size.

    Attributes
    ----------
    subject : int
    n_calibration : int
        Calibration trials per class the model was fine-tuned on (0: zero-shot).
    n_calibration_trials : int
        Calibration trials in all.
    accuracy, kappa : float
    n_test : int
    labels, predictions : list of int
        The subject's test labels and the model's predictions, trial by trial.
    probabilities : list of list of float
        Class probabilities per test trial (ensembles average them).
    """

    subject: int
    n_calibration: int
    n_calibration_trials: int
    accuracy: float
    kappa: float
    n_test: int
    labels: list[int]
    predictions: list[int]
    probabilities: list[list[float]] | None = None


@dataclass(frozen=True)
class FoldResult:
    """The stored result of one unit: a fold trained with one seed.

    Attributes
    ----------
    fold : str
    subject : int | None
        The fold's test subject (None when it tests several).
    seed : int | list of int
        The seed; the list of seeds for an ensemble of their models.
    n_train, n_valid, n_test : int
        Trials on each side of the fold.
    epochs : int
        Epochs trained.
    seconds : float
        Training and scoring time.
    rows : list of Score
        A score per test subject and calibration size.
    trained_with : dict
        How it was executed (device, threads, torch, precision, ...).
    unit : str | None
        The unit's key (:attr:`bci_attn.evaluation.units.Unit.key`).
    weights : dict | None
        The trained model's ``state_dict`` (CPU tensors); never part of the JSON: the run
        folder writes it beside it.
    """

    fold: str
    subject: int | None
    seed: Any
    n_train: int
    n_valid: int
    n_test: int
    epochs: int
    seconds: float
    rows: list[Score]
    trained_with: dict = field(default_factory=dict)
    unit: str | None = None
    weights: dict | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (without ``weights``)."""
        values = dataclasses.asdict(dataclasses.replace(self, weights=None, rows=[]))
        values.pop("weights")
        values["rows"] = [dataclasses.asdict(row) for row in self.rows]
        return values

    @classmethod
    def from_dict(cls, values: Any) -> FoldResult:
        """A result from its JSON form (ValueError naming what is missing or wrong).

        Results written before calibration existed hold one test subject's scores at the
        top level: they get their single zero-shot row.
        """
        if not isinstance(values, dict):
            raise ValueError(f"expected a JSON object, got {type(values).__name__}")
        values = _with_rows(values)
        missing = [
            f.name for f in dataclasses.fields(cls) if f.name not in values and _required(f)
        ]
        if missing:
            raise ValueError(f"lacks field(s) {', '.join(missing)}")
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in values.items() if k in names and k != "weights"}
        try:
            rows = [Score(**row) for row in values["rows"]]
        except (TypeError, KeyError) as error:
            raise ValueError(f"has a row that is not a score ({error})") from None
        return cls(**{**known, "rows": rows})

    def zero_shot(self) -> list[Score]:
        """Its scores without calibration, one per test subject."""
        return [row for row in self.rows if row.n_calibration == 0]


def _required(item: dataclasses.Field) -> bool:
    return item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING


def _with_rows(values: dict) -> dict:
    if "rows" in values or "accuracy" not in values:
        return values
    row_keys = ("accuracy", "kappa", "labels", "predictions")
    row = {"subject": values.get("subject"), "n_calibration": 0, "n_calibration_trials": 0}
    row |= {k: values[k] for k in row_keys if k in values} | {"n_test": values.get("n_test")}
    return {k: v for k, v in values.items() if k not in row_keys} | {"rows": [row]}
