"""Everything checked before data are loaded: the protocol's rules, the registries, the
dataset and this machine, each refusal naming its option."""

import importlib.util

import pytest
import torch

from bci_attn.config import ConfigError
from bci_attn.evaluation import validation
from bci_attn.evaluation.validation import validate


@pytest.fixture
def no_cuda(monkeypatch):
    """A machine without CUDA, whatever this one has."""
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_a_valid_configuration_passes_and_creates_nothing(tiny, tmp_path):
    validate(tiny(out=str(tmp_path / "new" / "run")))
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (dict(accelerator="gpu"), "execution.accelerator", "is gpu but this machine has no CUDA"),
        (dict(accelerator="cuda"), "execution.accelerator", "no CUDA GPU; use auto or cpu"),
        (dict(devices=2), "execution.devices", "must be 1 on a machine without GPU"),
    ],
)
def test_the_machine_must_have_the_accelerator_and_devices(tiny, no_cuda, values, key, message):
    with pytest.raises(ConfigError) as info:
        validate(tiny(**values))
    assert info.value.key == key and message in info.value.problem


def test_devices_are_at_most_the_gpus_of_the_machine(tiny, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match="must be at most 1 .*got 2") as info:
        validate(tiny(accelerator="gpu", devices=2))
    assert info.value.key == "execution.devices"


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (dict(augment=["time_warp"]), "training.augment", "unknown augmentation 'time_warp'"),
        (
            dict(augment=["sign_flip"], augment_options={"time_shift": {"max_shift": 1}}),
            "training.augment_options",
            "which is not in training.augment (sign_flip)",
        ),
        (
            dict(backbone_options={"bogus": 1}),
            "model.backbone_options",
            "has an option eegnet does not take",
        ),
        (dict(backbone="resnet"), "model.backbone", "must be one of eegnet, shallow"),
        (dict(attention="nope"), "model.attention", "must be one of none, "),
        (
            dict(attention="se", attention_options={"bogus": 1}),
            "model.attention_options",
            "attention 'se' does not take option(s) bogus",
        ),
        (dict(attention_at=["conv"]), "model.attention_at", "no insertion point 'conv'"),
        (dict(subjects=[1, 99]), "data.subjects", "names subject(s) [99] that synthetic lacks"),
        (
            dict(protocol="within-session", calibration_trials=[2]),
            "evaluation.calibration_trials",
            "goes with protocol holdout or cross-dataset or loso, not within-session",
        ),
    ],
)
def test_options_the_registries_or_the_dataset_cannot_serve_are_named(tiny, values, key, message):
    with pytest.raises(ConfigError) as info:
        validate(tiny(**values))
    assert info.value.key == key and message in info.value.problem


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            dict(dataset="PhysionetMI", protocol="cross-session", subjects=[1, 2]),
            "PhysionetMI has 1 session per subject; cross-session needs at least two",
        ),
        (dict(dataset="NoSuchSet"), "unknown dataset 'NoSuchSet'"),
        (dict(attention="electrode", attention_at=["separable"]), "has a single row"),
    ],
)
def test_a_dataset_or_a_model_that_cannot_serve_the_run_is_named(tiny, values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate(tiny(**values))


def test_the_tensorboard_logger_needs_its_package(tiny, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        validation.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else real(name, *a),
    )
    with pytest.raises(ConfigError, match="pip install tensorboard") as info:
        validate(tiny(logger="tensorboard"))
    assert info.value.key == "execution.logger"


@pytest.mark.parametrize("key", ["out", "cache_dir"])
def test_a_folder_option_that_names_a_file_is_refused(tiny, tmp_path, key):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="must be a folder") as info:
        validate(tiny(**{key: str(tmp_path / "file")}))
    assert info.value.key.endswith(f".{key}")
