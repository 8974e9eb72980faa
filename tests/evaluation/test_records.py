"""A run folder's record: the options and what the data resolved them to; records of
bci-attn 0.1 (flat) identify the same runs, so old folders resume and their models load."""

import json
from pathlib import Path

import pytest
import torch

from bci_attn import attention
from bci_attn.evaluation.folder import RESOLVED, RunFolder
from bci_attn.evaluation.preparation import prepared
from bci_attn.evaluation.records import (
    config_of,
    identity,
    is_flat,
    load_model,
    record,
    resolved_of,
)
from bci_attn.evaluation.units import make_model

ROOT = Path(__file__).resolve().parents[2]
RECORDS = sorted(ROOT.glob("experiments/*/runs/*/config.json"))
#: The run folders bci-attn 0.1 wrote (flat records), and those written since.
COMMITTED = [p for p in RECORDS if json.loads(p.read_text())["bci_attn_version"] < "0.2"]
CURRENT = [p for p in RECORDS if p not in COMMITTED]


def flat_record(config, ready) -> dict:
    """``config.json`` as bci-attn 0.1 wrote it: every option by name (the attention options
    as given) beside what the data resolved, no ``resolved`` section."""
    resolved = record(config, ready)["resolved"]
    kept = (*RESOLVED, "alignment_uses", "calibration", "notes", "folds")
    return {
        **config.flat(),
        "recipe": config.recipe,
        **{key: resolved[key] for key in kept},
        "bci_attn_version": "0.1.0",
    }


def test_the_record_holds_the_options_and_what_the_data_resolved(tiny):
    config = tiny(attention="se", attention_options={"reduction": 2})
    ready = prepared(config)
    stored = record(config, ready)
    assert {k: stored[k] for k in ("data", "model", "recipe")} == {
        k: config.to_dict()[k] for k in ("data", "model", "recipe")
    }
    resolved = stored["resolved"]
    assert resolved["subjects"] == [1, 2, 3] and len(resolved["classes"]) == 2
    assert resolved["folds"] == ["subject1", "subject2", "subject3"]
    assert resolved["attention_at"] == ["separable"] and resolved["attention_version"] == 2
    assert resolved["attention_options"] == {"reduction": 2, "variant": "official", "bias": None}
    assert (resolved["n_chans"], resolved["sfreq"]) == (22, 128.0)
    assert len(resolved["ch_names"]) == 22 and resolved["n_times"] == ready.data.n_times
    assert not is_flat(stored) and config_of(stored) == config
    assert json.loads(json.dumps(stored)) == stored  # plain JSON


def test_identity_leaves_out_how_a_run_is_executed_and_names_what_differs(tiny):
    config = tiny()
    ready = prepared(config)
    base = identity(record(config, ready))
    elsewhere = config.replace(out="/tmp/other", quiet=False, seeds=[0, 1], accelerator="cpu")
    assert identity(record(elsewhere, ready)) == base
    other = identity(record(config.replace(lr=0.01), ready))
    assert [k for k in base if base[k] != other[k]] == ["lr"]


def test_a_flat_record_of_bci_attn_0_1_identifies_the_same_run(tiny):
    config = tiny()
    ready = prepared(config)
    flat = flat_record(config, ready)
    assert is_flat(flat) and resolved_of(flat) is flat
    # it stored what the data resolved classes and insertion points to: the same data, model
    resolved = config.replace(classes=flat["classes"], attention_at=flat["attention_at"])
    assert config_of(flat) == resolved
    assert identity(flat) == identity(record(config, ready))


def test_a_module_whose_version_changed_is_refused_in_an_old_folder(tiny, tmp_path):
    assert attention.get_spec("se").version > 1
    config = tiny(attention="se")
    ready = prepared(config)
    folder = RunFolder(tmp_path / "old")
    folder.path.mkdir()
    (folder.path / "config.json").write_text(json.dumps(flat_record(config, ready)))
    with pytest.raises(ValueError, match=r"holds a run with other settings \(attention_options\)"):
        folder.claim(record(config, ready), identity)
    legacy = config.replace(attention_options=dict(attention.get_spec("se").legacy))
    folder.claim(record(legacy, ready), identity)  # version 1's options: the same run


def test_a_model_of_an_old_folder_is_rebuilt_as_version_1(tiny, tmp_path):
    config = tiny(attention="se")
    ready = prepared(config)
    folder = RunFolder(tmp_path / "old")
    folder.path.mkdir()
    (folder.path / "config.json").write_text(json.dumps(flat_record(config, ready)))
    torch.manual_seed(0)
    legacy = config.replace(attention_options={"variant": "paper"})
    trained = make_model(legacy, ready.data).eval()
    folder.model_file("subject2", 0).parent.mkdir()
    torch.save(trained.state_dict(), folder.model_file("subject2", 0))
    with pytest.raises(RuntimeError):  # today's default computes something else
        make_model(config, ready.data).load_state_dict(trained.state_dict())
    loaded = load_model(folder.path, "subject2", 0)
    assert not loaded.training
    X = torch.as_tensor(ready.data.X[:4])
    with torch.no_grad():
        torch.testing.assert_close(loaded(X), trained(X))
    with pytest.raises(
        ValueError, match="no saved model for fold subject9 seed 0; saved: subject2"
    ):
        load_model(folder.path, "subject9", 0)


@pytest.mark.parametrize("path", CURRENT, ids=[p.parent.name for p in CURRENT])
def test_the_committed_records_of_today_read(path):
    stored = json.loads(path.read_text())
    assert not is_flat(stored)
    config = config_of(stored)
    assert config.computed()["data"] == {
        key: value for key, value in stored["data"].items() if key in config.computed()["data"]
    }
    found = identity(stored)
    assert found["executed"] == stored["data"]["executed"]
    assert found["attention_options"] == stored["resolved"]["attention_options"]


@pytest.mark.parametrize("path", COMMITTED, ids=[p.parent.name for p in COMMITTED])
def test_the_committed_records_of_bci_attn_0_1_read(path):
    stored = json.loads(path.read_text())
    assert is_flat(stored)
    config = config_of(stored)
    assert (config.data.dataset, config.evaluation.protocol) == (
        stored["dataset"],
        stored["protocol"],
    )
    assert config.model.attention == stored["attention"]
    found = identity(stored)
    spec = attention.get_spec(stored["attention"])
    assert found["attention_options"] == spec.resolve(stored["attention_options"], version=1)
    assert (found["subjects"], found["classes"]) == (stored["subjects"], stored["classes"])
    assert found["n_chans"] == len(stored["ch_names"])
