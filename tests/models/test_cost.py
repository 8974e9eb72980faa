"""Costs of a model without data: shapes from metadata, parameter and multiply-add counts,
and the reports a command line prints."""

import pytest
import torch

from bci_attn import attention
from bci_attn.config import ConfigError, DataConfig
from bci_attn.models import build_model
from bci_attn.models.cost import (
    DataShape,
    data_shape,
    epoch_samples,
    markdown_report,
    summarize,
    summary_report,
    zoo_report,
)

# BNCI2014001's shape, written out so the counting tests need no dataset lookup.
BNCI = DataShape("BNCI2014_001", 22, 513, 128.0, ["a", "b", "c", "d"], 4.0, 250.0)
#: A small input for the tables of every module.
SMALL = dict(dataset="synthetic", tmax=1.0, resample=64.0, fmax=30.0)


@pytest.fixture(autouse=True)
def _one_thread():
    """Single-trial passes through small networks are slower with threads on a busy host."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def plain(backbone, **kwargs):
    return build_model(backbone, **BNCI.dimensions, **kwargs)


def test_shapes_from_metadata_without_loading():
    bnci = data_shape(DataConfig(dataset="BNCI2014001"))
    assert (bnci.dataset, bnci.n_chans, bnci.n_times, bnci.n_outputs) == (
        "BNCI2014_001",
        22,
        513,
        4,
    )
    physionet = data_shape(
        DataConfig(dataset="physionet_mi", classes=("left_hand", "right_hand"), tmax=3)
    )
    assert (physionet.n_chans, physionet.n_times, physionet.n_outputs) == (64, 385, 2)
    window = DataConfig(dataset="BNCI2014_001", n_classes=2, tmin=0.5, tmax=2.5)
    assert data_shape(window).n_times == 257
    assert data_shape(DataConfig(dataset="synthetic", resample=250)).n_times == 751
    with pytest.raises(ValueError, match="allowed: 0 <= tmin < tmax <= 4"):
        data_shape(DataConfig(dataset="BNCI2014001", tmax=5))


def test_electrodes_come_from_the_channels_kept_else_the_metadata_else_n_chans():
    kept = data_shape(DataConfig(dataset="BNCI2014001", channels=("C3", "Cz", "C4")))
    assert (kept.n_chans, kept.chans_from) == (3, "data.channels")
    assert data_shape(DataConfig(dataset="BNCI2014001")).chans_from == "MOABB metadata"
    assert data_shape(DataConfig(dataset="synthetic")).chans_from == "constructor"
    given = data_shape(DataConfig(dataset="BNCI2014001"), n_chans=5)
    assert (given.n_chans, given.chans_from) == (5, "n_chans")
    with pytest.raises(ValueError, match="n_chans must be at least 1, got 0"):
        data_shape(DataConfig(dataset="BNCI2014001"), n_chans=0)
    with pytest.raises(ConfigError, match="data.resample must be given") as info:
        epoch_samples(0.0, 1.0, None, None)
    assert info.value.key == "data.resample"


def test_epoch_length_matches_a_real_epoching_at_an_awkward_rate(tmp_path):
    """MOABB epochs at the native rate, then resamples: 3 s at 512 Hz -> 384 samples at
    128 Hz, where round(3 * 128) + 1 would say 385."""
    from bci_attn.data import Preprocessing, load_trials
    from bci_attn.data.synthetic import SyntheticMotorImagery

    dataset = SyntheticMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=2, sfreq=512)
    prep = Preprocessing(classes=("left_hand", "right_hand"))
    data = load_trials(dataset, [1], prep, data_dir=tmp_path, cache_dir=None)
    assert data.X.shape[2] == epoch_samples(2.0, 5.0, 512.0, 128.0) == 384


def test_parameters_are_those_of_build_model():
    model = plain("eegnet", attention="ham")
    backbone = plain("eegnet")
    summary = summarize("eegnet", "ham", BNCI)
    assert summary.params == n_params(model) and summary.backbone_params == n_params(backbone)
    assert summary.attention_params == n_params(model) - n_params(backbone)
    assert summary.attention_params == sum(layer.params for layer in summary.layers)


def test_attention_parameters_per_layer_on_shallow_at_two_points():
    summary = summarize("shallow", "se", BNCI, at="conv,pool")
    model = plain("shallow", attention="se", at="conv,pool")
    assert [layer.name for layer in summary.layers] == ["attention_conv", "attention_pool"]
    for layer in summary.layers:
        assert layer.params == n_params(model.get_submodule(layer.name))
    assert summary.attention_params == n_params(model) - n_params(plain("shallow"))
    assert summary.attention_macs == sum(layer.macs for layer in summary.layers)


def test_se_multiply_adds_are_its_two_linear_layers():
    """SE on EEGNet's separable map (16 channels): fc1 16 -> 4 and fc2 4 -> 16 on the pooled
    vector; pooling, ReLU, sigmoid and the gating product are elementwise, not counted."""
    summary = summarize("eegnet", "se", BNCI)
    (layer,) = summary.layers
    channels, hidden = 16, 16 // 4
    assert layer.map[0] == channels
    assert layer.macs == summary.attention_macs == 2 * channels * hidden == 128
    assert layer.params == 2 * channels * hidden + hidden + channels  # biases (timm's SE)


def test_summary_report_checks_every_backbone_before_building_any():
    text = summary_report(["eegnet", "shallow"], "se", BNCI)
    assert text.startswith("eegnet + se on BNCI2014_001") and "\n\nshallow + se on" in text
    total = f"{summarize('shallow', 'se', BNCI).params:,}"
    assert any(line.startswith("total") and total in line for line in text.splitlines())
    with pytest.raises(ConfigError, match="no insertion point 'separable'") as info:
        summary_report(["eegnet", "shallow"], "se", BNCI, at="separable")
    assert info.value.key == "model.attention_at"
    with pytest.raises(ConfigError, match="must be one of eegnet, shallow, got 'resnet'"):
        summary_report(["resnet"], "se", BNCI)


def test_the_zoo_table_lists_every_registered_module_under_its_backbones_title():
    shape = data_shape(DataConfig(**SMALL))
    text = zoo_report(["eegnet"], shape)
    lines = text.splitlines()
    assert lines[0] == shape.describe() and lines[2] == "EEGNet"
    assert {line.split()[0] for line in lines[4:] if line.strip()} == set(attention.available())
    assert "refused" not in text  # every module builds at its default point


def test_markdown_names_its_command_and_lists_every_module():
    shape = data_shape(DataConfig(dataset="synthetic", tmax=1.0))
    text = markdown_report(["shallow"], shape, "python -m bci_attn summary --all", names=None)
    assert "Generated by `python -m bci_attn summary --all`" in text
    assert "## ShallowConvNet (ShallowFBCSPNet) (`shallow`)" in text
    costs = text.split(attention.reference_table())[0]  # the zoo's reference table follows
    names = [line.split("|")[1].strip() for line in costs.splitlines() if line.startswith("| ")]
    assert names[1:] == attention.available()
    assert text.endswith(attention.reference_table())
