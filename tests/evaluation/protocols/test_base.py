"""The registry of protocols and the rules every protocol shares: an evaluation option goes
with the protocols whose fields take it, and adding a protocol is one file."""

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from bci_attn.config import ConfigError, RunConfig, build, read_document
from bci_attn.evaluation.protocols import (
    Fold,
    Protocol,
    available,
    check_protocol,
    get_protocol,
    register,
)
from bci_attn.evaluation.protocols.base import _REGISTRY, protocol_options

SHIPPED = ["holdout", "cross-dataset", "cross-session", "loso", "within-session"]

#: A value other than the default of every evaluation option some protocol takes.
TAKEN_VALUES = {
    "train_subjects": [1, 2],
    "test_subjects": [3],
    "calibration_trials": [2],
    "train_dataset": "A",
    "test_dataset": "B",
    "min_channels": 5,
    "n_valid_subjects": 2,
}


def takers(name: str) -> list[str]:
    """The protocols whose fields are named ``name``, in registration order."""
    return [p for p in available() if name in {f.name for f in dataclasses.fields(_REGISTRY[p])}]


def test_the_shipped_protocols_are_registered_by_name():
    assert available()[: len(SHIPPED)] == SHIPPED
    for name in available():
        assert get_protocol(name).name == name
        assert get_protocol(name).summary()  # --list-protocols shows it


def test_an_unknown_protocol_lists_the_protocols():
    with pytest.raises(ConfigError) as info:
        get_protocol("kfold")
    assert info.value.key == "evaluation.protocol"
    assert info.value.problem == f"must be one of {', '.join(available())}, got 'kfold'"


def test_the_options_protocols_take_are_their_fields_named_after_options():
    assert set(protocol_options()) == set(TAKEN_VALUES)
    for name, protocols in protocol_options().items():
        assert protocols == takers(name)


CASES = [
    (name, protocol)
    for name in TAKEN_VALUES
    for protocol in SHIPPED
    if protocol not in takers(name)
]


@pytest.mark.parametrize(("name", "protocol"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_an_option_the_protocol_does_not_take_is_refused_naming_those_that_do(name, protocol):
    config = RunConfig.create(protocol=protocol, **{name: TAKEN_VALUES[name]})
    with pytest.raises(ConfigError) as info:
        check_protocol(config)
    assert info.value.key == f"evaluation.{name}"
    assert info.value.problem == f"goes with protocol {' or '.join(takers(name))}, not {protocol}"


def test_registering_a_name_twice_is_refused():
    class Again(get_protocol("loso")):
        """Leave-one-subject-out under the same name."""

    with pytest.raises(ValueError, match="protocol 'loso' is registered twice"):
        register(Again)
    assert available()[: len(SHIPPED)] == SHIPPED


def test_a_fold_describes_its_sides_in_one_line():
    meta = pd.DataFrame(
        {"subject": [1, 1, 2, 2, 3], "session": ["0", "1", "0", "1", "0"], "run": "0"}
    )
    fold = Fold("subject3", 3, np.array([0, 1]), np.array([2, 3]), np.array([4]))
    assert fold.describe(meta) == (
        "subject3: train 2 (subjects 1; sessions 0,1) | valid 2 (subjects 2; sessions 0,1) | "
        "test 1 (subjects 3; sessions 0)"
    )
    assert len(fold.calibration_pools()) == 0
    pools = dataclasses.replace(fold, calibration={3: np.array([4]), 5: np.array([7, 8])})
    assert pools.calibration_pools().tolist() == [4, 7, 8]
    assert "calibration pool per subject 3: 1, 5: 2" in pools.describe(meta)


# -- adding a protocol is one file: a class registered from this test ----------------------


@pytest.fixture
def odd_to_even():
    """A toy protocol: train on the odd subjects, test each even one (or those given)."""

    @dataclass(frozen=True)
    class OddToEven(Protocol):
        """Train on the odd subjects, test each even one (a test's toy)."""

        name = "odd-to-even"
        test_subjects: tuple[int, ...] | None = None

        def split(self, meta, y):
            subject_of = meta["subject"].to_numpy()
            tested = self.test_subjects or [s for s in np.unique(subject_of) if s % 2 == 0]
            train = np.flatnonzero(subject_of % 2 == 1)
            test = np.flatnonzero(np.isin(subject_of, tested))
            return [Fold("odd-to-even", None, train, np.array([], dtype=int), test)]

    register(OddToEven)
    try:
        yield OddToEven
    finally:
        _REGISTRY.pop(OddToEven.name)


def test_a_registered_protocol_takes_the_options_named_by_its_fields(odd_to_even):
    assert available()[-1] == "odd-to-even"
    assert protocol_options()["test_subjects"] == ["holdout", "cross-dataset", "odd-to-even"]
    with pytest.raises(ConfigError, match="goes with protocol holdout or cross-dataset or odd-"):
        check_protocol(RunConfig.create(protocol="loso", test_subjects=[2]))
    chosen = check_protocol(RunConfig.create(protocol="odd-to-even", test_subjects=[4]))
    assert isinstance(chosen, odd_to_even) and chosen.test_subjects == (4,)
    layer = read_document({"evaluation": {"protocol": "odd-to-even"}}, "f")
    assert build([layer]).recipe == "plain"  # it tests no unseen subject: not cross_subject


def test_a_run_uses_a_registered_protocol(odd_to_even, tiny):
    from bci_attn.studies.single import evaluate

    config = tiny(protocol="odd-to-even", subjects=[1, 2, 3, 4])
    summary = evaluate(config, echo=lambda *a: None)
    assert list(summary.table.index) == [2, 4]  # each test subject scored on its own
    rows = pd.read_csv(f"{config.execution.out}/results.csv")
    assert list(rows["fold"]) == ["odd-to-even"] * 2 and rows["accuracy"].between(0, 1).all()
    assert rows["n_train"].iloc[0] == rows["n_test"].sum()  # subjects 1, 3 against 2, 4
