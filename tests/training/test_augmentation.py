"""Augmentations by name: checked without torch, refused with the option's key."""

import pytest
import torch
from heavy_imports import heavy_imports

from bci_attn.config import ConfigError
from bci_attn.training.augmentation import (
    AUGMENTATIONS,
    available,
    check_augmentation,
    make_augmentation,
)
from bci_attn.training.transforms import TimeShift


def test_names_and_checks_load_without_torch():
    code = (
        "from bci_attn.training import augmentation as a; "
        "a.check_augmentation(['time_shift', 'mixup'], 0.5, {'time_shift': {'max_shift': 0.2}}); "
        "assert a.available()[0] == 'time_shift'"
    )
    assert heavy_imports(code) == []


@pytest.mark.parametrize(
    ("names", "options", "probability", "key", "message"),
    [
        (["time_warp"], {}, 0.5, "training.augment", "lists an unknown augmentation 'time_warp'"),
        (["sign_flip", "sign_flip"], {}, 0.5, "training.augment", "lists an augmentation twice"),
        (["mixup", "sign_flip"], {}, 0.5, "training.augment", "so it must come last"),
        (["sign_flip"], {}, 1.5, "training.augment_probability", "must be a number >= 0"),
        (
            ["sign_flip"],
            {"time_warp": {"x": 1}},
            0.5,
            "training.augment_options",
            "lists an unknown augmentation 'time_warp'; available: time_shift",
        ),
        (
            ["sign_flip"],
            {"time_shift": {"max_shift": 1}},
            0.5,
            "training.augment_options",
            "which is not in training.augment (sign_flip)",
        ),
        (
            ["time_shift"],
            {"time_shift": {"width": 1}},
            0.5,
            "training.augment_options",
            "has no option 'width'; it takes: max_shift",
        ),
        (
            ["channels_dropout"],
            {"channels_dropout": {"p_drop": 2}},
            0.5,
            "training.augment_options",
            "channels_dropout.p_drop must be a positive number at most 1, got 2",
        ),
        (
            ["gaussian_noise"],
            {"gaussian_noise": {"std": -1}},
            0.5,
            "training.augment_options",
            "gaussian_noise.std must be a positive number, got -1",
        ),
        (
            ["sign_flip"],
            {"sign_flip": 3},
            0.5,
            "training.augment_options",
            "sign_flip must be a mapping of options, got 3",
        ),
    ],
)
def test_bad_settings_name_their_key(names, options, probability, key, message):
    with pytest.raises(ConfigError) as info:
        check_augmentation(names, probability, options)
    assert info.value.key == key
    assert message in info.value.problem


def test_every_named_augmentation_builds_for_its_rate():
    assert available() == list(AUGMENTATIONS)
    composed = make_augmentation(available(), sfreq=100.0, probability=1.0, random_state=0)
    assert [type(t).__name__ for t in composed.transforms][:2] == ["TimeShift", "SmoothTimeMask"]
    assert isinstance(composed.transforms[0], TimeShift)
    assert composed.transforms[0].max_shift == 10  # the default 0.1 s at 100 Hz
    X, y = torch.randn(4, 3, 100), torch.tensor([0, 1, 0, 1])
    out, (y_a, _, _) = composed(X, y)  # mixup, last, mixes the labels
    assert out.shape == X.shape and torch.equal(y_a, y)
    assert make_augmentation([], sfreq=100.0) is None


@pytest.mark.parametrize("name", available())
def test_every_augmentation_keeps_shapes_and_labels(name):
    torch.manual_seed(0)
    X, y = torch.randn(8, 4, 250), torch.tensor([0, 1] * 4)
    augment = make_augmentation([name], sfreq=250.0, probability=1.0, random_state=0)
    out, target = augment(X, y)
    assert out.shape == X.shape and out.dtype == X.dtype
    if name == "mixup":
        y_a, y_b, lam = target  # the trial's own labels come first, mixed with others'
        assert torch.equal(y_a, y) and sorted(y_b.tolist()) == sorted(y.tolist())
        assert ((lam >= 0) & (lam <= 1)).all()
    else:
        assert torch.equal(target, y)
    assert not torch.equal(out, X)


def test_time_shift_delays_and_advances_with_zeros():
    from bci_attn.training.transforms import time_shift

    X = torch.arange(1.0, 6.0).repeat(2, 1, 1)  # (2 trials, 1 electrode, 5 samples)
    out, _ = time_shift(X, torch.zeros(2), torch.tensor([2, -1]))
    assert out[0, 0].tolist() == [0, 0, 1, 2, 3]
    assert out[1, 0].tolist() == [2, 3, 4, 5, 0]


def test_augmentation_options_are_in_seconds_and_hz():
    shift = make_augmentation(
        ["time_shift"], sfreq=200.0, options={"time_shift": {"max_shift": 0.05}}
    )
    mask = make_augmentation(["smooth_time_mask"], sfreq=100.0)
    assert shift.transforms[0].max_shift == 10
    assert mask.transforms[0].mask_len_samples == 20  # the default 0.2 s at 100 Hz
