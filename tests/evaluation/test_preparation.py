"""From a configuration to trials split into folds: loaded once per process, electrodes
picked, folds by name or index."""

from pathlib import Path

import numpy as np
import pytest

from bci_attn.config import RunConfig
from bci_attn.evaluation import preparation
from bci_attn.evaluation.preparation import Prepared, cache_folder, prepare, prepared
from bci_attn.evaluation.protocols import Fold


@pytest.fixture
def loads(monkeypatch) -> list:
    """The configurations :func:`prepare` is called with, from an empty per-process store."""
    monkeypatch.setattr(preparation, "_KEPT", {})
    calls = []
    real = preparation.prepare

    def counted(config):
        calls.append(config)
        return real(config)

    monkeypatch.setattr(preparation, "prepare", counted)
    return calls


def test_configurations_that_differ_in_model_and_training_load_once(tiny, loads):
    first = prepared(tiny())
    others = [
        tiny(attention="se", lr=0.5, max_epochs=3, batch_size=8),
        tiny(seeds=[0, 1], ensemble=True, out="elsewhere", quiet=False, parallel_folds=2),
    ]
    assert all(prepared(config) is first for config in others)
    assert len(loads) == 1
    shorter = prepared(tiny(tmax=0.5))
    assert shorter is not first and len(loads) == 2
    assert prepared(tiny(split_seed=1)) is not first and len(loads) == 3


def test_every_seed_trains_on_the_same_folds(tiny):
    together, alone = prepare(tiny(seeds=[0, 1])), prepare(tiny(seeds=[1]))
    for a, b in zip(together.folds, alone.folds, strict=True):
        assert a.name == b.name
        assert all(
            np.array_equal(getattr(a, s), getattr(b, s)) for s in ("train", "valid", "test")
        )


def test_channels_keeps_the_electrodes_named_in_their_order(tiny):
    data = prepare(tiny()).data
    picked = prepare(tiny(channels=["C4", "Cz", "C3"])).data
    assert picked.ch_names == ["C4", "Cz", "C3"] and picked.n_chans == 3
    index = [data.ch_names.index(c) for c in ("C4", "Cz", "C3")]
    np.testing.assert_array_equal(picked.X, data.X[:, index])


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        (
            ["C3", "T7"],
            "names electrode(s) T7 that SyntheticMotorImagery lacks; its electrodes: Fz",
        ),
        (["C3", "C3"], "data.channels names an electrode twice: C3, C3"),
    ],
)
def test_electrodes_the_data_lack_are_named(tiny, channels, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        prepare(tiny(channels=channels))


def test_alignment_changes_the_trials_not_the_folds(tiny):
    plain, aligned = prepare(tiny()), prepare(tiny(align="euclidean"))
    assert [f.name for f in plain.folds] == [f.name for f in aligned.folds]
    assert plain.data.X.shape == aligned.data.X.shape
    assert not np.allclose(plain.data.X, aligned.data.X)


def test_a_fold_is_chosen_by_name_or_index():
    folds = [Fold(f"subject{k}", k, np.arange(1), np.arange(0), np.arange(1)) for k in (1, 2)]
    ready = Prepared(None, None, folds)
    assert ready.select("subject2").subject == 2
    assert ready.select(1).subject == 2 and ready.select("0").subject == 1
    with pytest.raises(ValueError, match="no fold 'subject9'; folds: subject1, subject2"):
        ready.select("subject9")
    with pytest.raises(ValueError, match="fold 5 out of range: the protocol has 2 folds"):
        ready.select(5)


def test_the_cache_folder_is_the_option_else_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BCI_ATTN_CACHE", str(tmp_path / "env"))
    assert cache_folder(RunConfig()) == tmp_path / "env"
    assert cache_folder(RunConfig.create(cache_dir=str(tmp_path / "own"))) == tmp_path / "own"
    monkeypatch.delenv("BCI_ATTN_CACHE")
    assert cache_folder(RunConfig()) == Path("~/.cache/bci_attn").expanduser()


def test_executed_trials_train_while_validation_and_tests_stay_imagery():
    from bci_attn.evaluation.preparation import imagery_only

    executed = np.array([False, True] * 10)
    fold = Fold("subject1", 1, np.arange(0, 8), np.arange(8, 12), np.arange(12, 20),
                {1: np.arange(12, 16)})  # fmt: skip
    kept = imagery_only(fold, executed)
    np.testing.assert_array_equal(kept.train, fold.train)  # both tasks train
    for part in (kept.valid, kept.test, kept.calibration[1]):
        assert len(part) and not executed[part].any()


def test_physionet_with_its_executed_runs(physionet_dir, tmp_path):
    config = RunConfig.create(
        dataset="PhysionetMI", subjects=[1, 2, 3], classes=["left_hand", "right_hand"],
        data_dir=str(physionet_dir), offline=True, executed=True, align="euclidean",
        cache_dir=str(tmp_path),
    )  # fmt: skip
    ready = prepare(config)
    tasks = ready.data.meta["task"].to_numpy()
    assert (tasks == "execution").sum() == (tasks == "imagery").sum() == 135
    for fold in ready.folds:
        assert set(tasks[fold.train]) == {"imagery", "execution"}
        assert set(tasks[fold.valid]) == set(tasks[fold.test]) == {"imagery"}
    # each task of each subject is aligned with its own trials
    plain = prepare(config.replace(align="none"))
    imagery = (plain.data.meta["subject"] == 1).to_numpy() & (tasks == "imagery")
    from bci_attn.data.alignment import euclidean_alignment

    np.testing.assert_allclose(
        ready.data.X[imagery], euclidean_alignment(plain.data.X[imagery]), rtol=1e-4, atol=1e-4
    )
