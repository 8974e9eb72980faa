"""A single run: every fold and seed of one configuration, scored per test subject.

The run's folder is its configuration's ``execution.out`` (default
``runs/<dataset>-<backbone>-<attention>-<protocol>``); a run started again with the same
folder trains only the units it had not finished and ends with the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..evaluation.executor import Executor
from ..evaluation.folder import RunFolder
from .study import Cell, Study

if TYPE_CHECKING:
    import pandas as pd

    from ..config import RunConfig


@dataclass
class Summary:
    """What a run prints and returns.

    Attributes
    ----------
    folder : str
    table : pd.DataFrame
        Zero-shot accuracy and kappa per test subject.
    calibration : pd.DataFrame | None
        With calibration, accuracy and kappa per subject and calibration size.
    ensemble : pd.DataFrame | None
        With ``evaluation.ensemble``, the seeds' models' ensemble per test subject.
    """

    folder: str
    table: pd.DataFrame
    calibration: pd.DataFrame | None = None
    ensemble: pd.DataFrame | None = None

    def text(self) -> str:
        """The tables as printed at the end of a run."""
        from ..evaluation.scoring import format_calibration_table, format_table

        lines = [
            format_table(self.table)
            if self.calibration is None
            else format_calibration_table(self.calibration)
        ]
        if self.ensemble is not None:
            lines += ["ensemble of the seeds' models (mean probability):"]
            lines += [format_table(self.ensemble)]
        return "\n".join(lines)

    def line(self) -> str:
        """One line: mean ± std over subjects (and per calibration size, and ensemble)."""

        def pm(values) -> str:
            return f"{100 * values.mean():.1f} ± {100 * values.std(ddof=0):.1f} %"

        text = f"accuracy {pm(self.table['accuracy'])} over {len(self.table)} subjects"
        if self.calibration is not None:
            for n in list(self.calibration["accuracy"].columns)[1:]:
                text += f"; N={n}: {pm(self.calibration['accuracy'][n])}"
        if self.ensemble is not None:
            text += f"; ensemble {pm(self.ensemble['accuracy'])}"
        return f"{text} ({self.folder})"


class SingleRun(Study):
    """One configuration: every fold of its protocol with every seed."""

    def __init__(self, config: RunConfig, echo: Callable[[str], Any] = print) -> None:
        cell = Cell("run", config)
        super().__init__([cell], cell.folder, echo)

    @property
    def cell(self) -> Cell:
        return self.cells[0]

    def run(self, executor: Executor | None = None) -> Summary:
        """Validate, load, claim the folder, train what is missing, write the tables."""
        self.validate()
        self.prepare()
        try:
            self.start(self.units(self.cell), executor)
            with self.claimed():
                return self._run()
        finally:
            self.close()

    def _run(self) -> Summary:
        ready, config = self.ready[self.cell.name], self.cell.config
        data = ready.data
        for note in data.notes:
            self.echo(note)
        self.echo(
            f"{data.dataset}: {len(data.y)} trials, {data.n_chans} electrodes x {data.n_times} "
            f"samples at {data.sfreq:g} Hz, classes {', '.join(data.classes)}; "
            f"{config.evaluation.protocol}: {len(ready.folds)} folds x "
            f"{len(config.evaluation.seeds)} seed(s) -> {self.cell.folder}"
        )
        results = self.execute(self.units(self.cell))
        folder = RunFolder(self.cell.folder)
        table, curve, ensemble = folder.write_tables(results, config.evaluation.ensemble)
        summary = Summary(str(self.cell.folder), table, curve, ensemble)
        self.echo(summary.text())
        return summary


def evaluate(config: RunConfig, echo: Callable[[str], Any] = print, executor=None) -> Summary:
    """Run every fold and seed of ``config``, resuming finished ones; return the summary.

    >>> from bci_attn import RunConfig, evaluate
    >>> evaluate(RunConfig.create(attention="cbam", max_epochs=10))  # doctest: +SKIP
    """
    return SingleRun(config, echo).run(executor)
