"""The unit of work: a stable key per computation, tasks for the executors, and ``execute``,
which trains and scores without writing results."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import bci_attn.training.fit
from bci_attn.config import RunConfig
from bci_attn.evaluation import preparation, units
from bci_attn.evaluation.protocols import Fold
from bci_attn.evaluation.units import Unit, UnitFailed, execute, plan, score_subjects, tasks
from bci_attn.models import build_model
from bci_attn.training.batches import standardise
from bci_attn.training.finetune import finetune
from bci_attn.training.fit import TrainingDiverged


def fold(name: str = "subject1", n_train: int = 6) -> Fold:
    return Fold(name, 1, np.arange(n_train), np.array([], dtype=int), np.arange(2))


def unit(config: RunConfig | None = None, name: str = "subject1", seed: int = 0, **kw) -> Unit:
    return Unit(config or RunConfig.create(lr=0.01), fold(name, **kw), seed, "runs/a")


KEY_IN_A_SUBPROCESS = """
import numpy as np
import bci_attn.training.fit
from bci_attn.config import RunConfig
from bci_attn.evaluation.protocols import Fold
from bci_attn.evaluation.units import Unit
fold = Fold("subject1", 1, np.arange(9), np.arange(0), np.arange(3))
print(Unit(RunConfig.create(lr=0.01), fold, 0, "elsewhere").key)
"""


def test_the_key_is_the_same_in_another_process():
    out = subprocess.run(
        [sys.executable, "-c", KEY_IN_A_SUBPROCESS], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == unit().key


@pytest.mark.parametrize(
    "values",
    [
        dict(quiet=True),
        dict(out="runs/b"),
        dict(accelerator="cpu"),
        dict(seeds=[0, 1, 2]),
        dict(seeds=[0, 1], ensemble=True),
        dict(channels_last=False),
        dict(parallel_folds=3),
        dict(data_dir="/data"),
    ],
    ids=lambda values: ",".join(values),
)
def test_the_key_ignores_how_and_where_a_unit_runs(values):
    same = Unit(RunConfig.create(lr=0.01, **values), fold(), 0, "runs/elsewhere")
    assert same.key == unit().key


@pytest.mark.parametrize(
    "other",
    [
        unit(RunConfig.create(lr=0.02)),
        unit(RunConfig.create(lr=0.01, attention="se")),
        unit(RunConfig.create(lr=0.01, split_seed=1)),
        unit(name="subject2"),
        unit(seed=1),
    ],
    ids=["lr", "attention", "split_seed", "fold", "seed"],
)
def test_the_key_differs_for_another_computation(other):
    assert other.key != unit().key


def test_a_plan_is_every_fold_with_every_seed_seed_by_seed():
    config = RunConfig.create(seeds=[3, 1])
    planned = plan(config, [fold("a"), fold("b")], "runs/x")
    assert [(u.fold.name, u.seed) for u in planned] == [("a", 3), ("b", 3), ("a", 1), ("b", 1)]
    assert {u.folder for u in planned} == {"runs/x"}


def test_each_unit_is_a_task_without_parallel_folds():
    planned = [unit(name=n) for n in ("a", "b", "c")]
    assert tasks(planned) == [(u,) for u in planned]


def test_parallel_folds_group_units_of_one_configuration_and_equal_training_sets():
    stacked = RunConfig.create(parallel_folds=2)
    group = [unit(stacked, n, n_train=6) for n in ("a", "b", "c")]
    larger = unit(stacked, "d", n_train=8)
    other = unit(RunConfig.create(parallel_folds=2, lr=0.5), "e", n_train=6)
    grouped = tasks([*group, larger, other])
    names = [[u.fold.name for u in task] for task in grouped]
    assert names == [["a", "b"], ["c"], ["d"], ["e"]]  # at most K, same size, same config


def test_execute_returns_results_and_writes_none(tiny, tmp_path):
    config = tiny()
    ready = preparation.prepared(config)
    planned = plan(config, ready.folds[:1], tmp_path / "run")
    (result,) = execute(tuple(planned))
    assert (result.fold, result.subject, result.seed) == ("subject1", 1, 0)
    assert result.unit == planned[0].key
    assert (result.n_train, result.n_valid, result.n_test) == tuple(
        len(getattr(ready.folds[0], side)) for side in ("train", "valid", "test")
    )
    (row,) = result.rows
    assert row.subject == 1 and 0 <= row.accuracy <= 1 and len(row.labels) == row.n_test
    assert np.allclose(np.sum(row.probabilities, axis=1), 1, atol=1e-4)
    assert result.trained_with["device"] == "cpu" and result.trained_with["threads"] >= 1
    assert set(result.weights) == set(units.make_model(config, ready.data).state_dict())
    written = {p.relative_to(tmp_path / "run").parts[0] for p in (tmp_path / "run").rglob("*")}
    assert written == {"logs"}  # the training's logs only: results are the caller's to write


@pytest.fixture
def own_preparation(monkeypatch):
    """Prepared trials this test may change, kept from the other tests."""
    monkeypatch.setattr(preparation, "_KEPT", {})


def test_swa_batchnorm_statistics_come_from_training_trials_only(
    tiny, tmp_path, monkeypatch, own_preparation
):
    config = tiny(max_epochs=2, swa_start=0.5)
    ready = preparation.prepared(config)
    first = ready.folds[0]
    # Make the held-out trials unmistakable: any statistic taken on them would be huge.
    ready.data.X[first.test] += 1e3
    ready.data.X[first.valid] -= 1e3
    seen_in_training = []
    build = units.make_model

    def spied(config, data):
        model = build(config, data)
        model.register_forward_pre_hook(
            lambda m, args: (
                seen_in_training.append(float(args[0].abs().mean())) if m.training else None
            )
        )
        return model

    monkeypatch.setattr(units, "make_model", spied)
    (result,) = execute((Unit(config, first, 0, str(tmp_path)),))
    # Two training epochs, then Lightning's extra pass that re-estimates BatchNorm for the
    # averaged weights: every pass in training mode saw z-scored training trials only.
    assert result.epochs == 3
    assert seen_in_training and max(seen_in_training) < 10


@pytest.mark.parametrize(
    "error",
    [
        TrainingDiverged("training diverged at epoch 0: the loss is nan (learning rate 10)"),
        ValueError("a value this fold's data cannot take"),
    ],
    ids=["diverged", "bad-value"],
)
def test_a_unit_that_cannot_be_trained_fails_naming_itself(tiny, tmp_path, monkeypatch, error):
    def fit(*args, **kwargs):
        raise error

    monkeypatch.setattr(bci_attn.training.fit, "fit", fit)
    config = tiny()
    first = preparation.prepared(config).folds[0]
    with pytest.raises(UnitFailed) as info:
        execute((Unit(config, first, 0, str(tmp_path)),))
    assert str(info.value) == f"subject1 seed 0 ({tmp_path}): {error}"
    assert info.value.__cause__ is error  # failures.json's traceback shows where it failed


def test_any_other_error_stops_the_execution(tiny, tmp_path, monkeypatch):
    def fit(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bci_attn.training.fit, "fit", fit)
    config = tiny()
    with pytest.raises(KeyboardInterrupt):
        execute((Unit(config, preparation.prepared(config).folds[0], 0, str(tmp_path)),))


def test_calibration_starts_each_subject_from_the_same_untouched_weights(tiny):
    config = tiny(
        protocol="holdout", subjects=None, train_subjects=[1, 2], test_subjects=[3, 4],
        calibration_trials=[2], calibration_steps=3, calibration_lr=0.01,
    )  # fmt: skip
    ready = preparation.prepared(config)
    data, (both,) = ready.data, ready.folds
    pool_index = both.calibration_pools()
    _, test, pool = standardise(*(data.X[i] for i in (both.train, both.test, pool_index)))
    torch.manual_seed(0)
    model = units.make_model(config, data).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        zero_shot = model(torch.as_tensor(test))
    rows = score_subjects(config, data, both, 0, model, zero_shot, test, pool_index, pool)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert [(r.subject, r.n_calibration, r.n_calibration_trials) for r in rows] == [
        (3, 0, 0), (3, 2, 4), (4, 0, 0), (4, 2, 4),
    ]  # fmt: skip
    assert rows[1].probabilities != rows[0].probabilities  # fine-tuning changed the model
    assert len({r.n_test for r in rows if r.subject == 3}) == 1  # the same test trials
    # Subject 4 alone gets what it got after subject 3 was calibrated.
    subject_of = data.meta["subject"].to_numpy()[both.test]
    alone = dataclasses.replace(
        both, test=both.test[subject_of == 4], calibration={4: both.calibration[4]}
    )
    mine = np.isin(pool_index, alone.calibration_pools())
    again = score_subjects(
        config, data, alone, 0, model, zero_shot[subject_of == 4], test[subject_of == 4],
        pool_index[mine], pool[mine],
    )  # fmt: skip
    assert json.dumps([dataclasses.asdict(r) for r in again]) == json.dumps(
        [dataclasses.asdict(r) for r in rows[2:]]
    )


@pytest.mark.parametrize(
    ("part", "prefixes"), [("head", ("final_layer",)), ("attention", ("attention_",))]
)
def test_calibrating_the_head_or_the_attention_changes_nothing_else(part, prefixes):
    torch.manual_seed(0)
    model = build_model("eegnet", "se", None, n_chans=4, n_times=128, n_outputs=2, sfreq=128)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    X = np.random.default_rng(1).normal(size=(8, 4, 128)).astype(np.float32)
    tuned = finetune(model, X, np.tile([0, 1], 4), part=part, steps=5, lr=1e-2)
    changed = {k for k, v in tuned.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith(prefixes) for k in changed), changed


@pytest.mark.parametrize("mode", ["adabn", "online-adabn"])
def test_adaptation_sees_only_the_subjects_unlabelled_test_trials(tiny, monkeypatch, mode):
    import bci_attn.training.adaptation as adaptation

    config = tiny(adapt=mode)
    ready = preparation.prepared(config)
    data, first = ready.data, ready.folds[0]
    _, test = standardise(data.X[first.train], data.X[first.test])
    torch.manual_seed(0)
    model = units.make_model(config, data).eval()
    with torch.no_grad():
        zero_shot = model(torch.as_tensor(test))
    seen, adapt = [], adaptation.adapted_logits

    def spy(network, X, how, device="cpu"):
        seen.append(X.copy())
        return adapt(network, X, how, device)

    monkeypatch.setattr(adaptation, "adapted_logits", spy)
    empty = np.array([], dtype=int)
    rows = score_subjects(config, data, first, 0, model, zero_shot, test, empty, test[:0])
    assert len(seen) == 1 and np.array_equal(seen[0], test)  # its own test trials, all of them
    # no label enters: the same predictions with the test labels shuffled
    shuffled = dataclasses.replace(data, y=data.y.copy())
    shuffled.y[first.test] = np.random.default_rng(0).permutation(data.y[first.test])
    again = score_subjects(config, shuffled, first, 0, model, zero_shot, test, empty, test[:0])
    assert again[0].predictions == rows[0].predictions
    assert again[0].probabilities == rows[0].probabilities
    assert again[0].labels != rows[0].labels
