"""``python -m bci_attn.summary``: shapes from metadata, parameter and multiply-add counts."""

import pytest
import torch

from bci_attn import attention
from bci_attn.models import build_model
from bci_attn.summary import DataShape, data_shape, epoch_samples, main, summarize

# BNCI2014001's shape, written out so the counting tests need no dataset lookup.
BNCI = DataShape("BNCI2014_001", 22, 513, 128.0, ["a", "b", "c", "d"], 4.0, 250.0)


@pytest.fixture(autouse=True)
def _one_thread():
    """Single-trial passes through small networks are slower with threads on a busy host."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def plain(backbone, shape=BNCI, **kwargs):
    return build_model(
        backbone,
        n_chans=shape.n_chans,
        n_times=shape.n_times,
        n_outputs=shape.n_outputs,
        sfreq=shape.sfreq,
        **kwargs,
    )


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.err


def test_shapes_from_metadata_without_loading():
    bnci = data_shape("BNCI2014001")
    assert (bnci.dataset, bnci.n_chans, bnci.n_times, bnci.n_outputs) == (
        "BNCI2014_001",
        22,
        513,
        4,
    )
    physionet = data_shape("physionet_mi", classes=["left_hand", "right_hand"], tmax=3)
    assert (physionet.n_chans, physionet.n_times, physionet.n_outputs) == (64, 385, 2)
    assert data_shape("BNCI2014_001", n_classes=2, tmin=0.5, tmax=2.5).n_times == 257
    assert data_shape("synthetic", resample=250).n_times == 751
    with pytest.raises(ValueError, match="allowed: 0 <= tmin < tmax <= 4"):
        data_shape("BNCI2014001", tmax=5)


def test_epoch_length_matches_a_real_epoching_at_an_awkward_rate(tmp_path):
    """MOABB epochs at the native rate, then resamples: 3 s at 512 Hz -> 384 samples at
    128 Hz, where round(3 * 128) + 1 would say 385."""
    from bci_attn.data import Preprocessing, load_trials
    from bci_attn.data.synthetic import SyntheticMotorImagery

    dataset = SyntheticMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=2, sfreq=512)
    prep = Preprocessing(classes=("left_hand", "right_hand"))
    data = load_trials(dataset, [1], prep, data_dir=tmp_path, cache_dir=None)
    assert data.X.shape[2] == epoch_samples(2.0, 5.0, 512.0, 128.0) == 384


def test_parameters_are_those_of_build_model(capsys):
    assert main(["--backbone", "eegnet", "--attn", "ham", "--dataset", "BNCI2014001"]) == 0
    out = capsys.readouterr().out
    model = plain("eegnet", attention="ham")
    backbone = plain("eegnet")
    total = f"{n_params(model):,}"
    assert any(line.startswith("total") and total in line for line in out.splitlines())
    assert f"{n_params(backbone):,}" in out
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
    assert layer.params == 2 * channels * hidden


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attn", "nope"], "unknown attention module 'nope'; available: none"),
        (["--dataset", "NoSuch"], "unknown dataset 'NoSuch'; motor-imagery datasets:"),
        (["--attn", "se", "--attn-at", "nowhere"], "no insertion point 'nowhere'; its points"),
        (["--backbone", "resnet"], "unknown backbone 'resnet'; available: eegnet, shallow"),
        (["--attn", "se", "--attn-opt", "colour=red"], "does not take option(s) colour"),
        (["--attn", "electrode", "--attn-at", "separable"], "single row (H = 1)"),
        (["--tmax", "9"], "does not fit the 4 s trials"),
        (["--classes", "left_hand,elbow"], "has no class elbow"),
        (["--all", "--attn-opt", "reduction=2"], "--attn-opt cannot be used with --all"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(capsys, args, message):
    code, err = run_cli(capsys, *args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_all_lists_every_registered_module(capsys):
    args = ["--all", "--dataset", "synthetic", "--tmax", "1", "--resample", "64"]
    assert main([*args, "--backbone", "eegnet"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0] for line in out.splitlines()[4:] if line.strip()}
    assert rows == set(attention.available())
    assert "refused" not in out  # every module builds at its default point


def test_markdown_names_its_command(capsys):
    args = ["--all", "--markdown", "--dataset", "synthetic", "--tmax", "1"]
    assert main([*args, "--backbone", "shallow"]) == 0
    out = capsys.readouterr().out
    assert "`python -m bci_attn.summary --all --markdown --dataset synthetic" in out
    names = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| ")]
    assert names[1:] == attention.available()
