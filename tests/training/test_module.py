"""The Lightning module: its options from the training section, its loss and schedule."""

import pytest
import torch
import yaml
from lightning.pytorch.core.saving import save_hparams_to_yaml

from bci_attn.config import ConfigError, TrainingConfig
from bci_attn.models import build_model
from bci_attn.training.module import DecodingModule, warmup_cosine


def small_model(attention="none"):
    torch.manual_seed(0)
    return build_model("eegnet", attention, n_chans=4, n_times=128, n_outputs=2, sfreq=128)


def test_nam_sparsity_penalty_is_added_to_the_training_loss():
    model = small_model("nam")
    module = DecodingModule(model, n_classes=2)
    module.log = lambda *args, **kwargs: None  # no trainer attached
    X, y = torch.randn(6, 4, 128), torch.tensor([0, 1] * 3)
    module.eval()  # no dropout: two forward passes give the same logits
    loss = module.training_step((X, y), 0)
    cross_entropy = torch.nn.functional.cross_entropy(model(X), y)
    nam = model.get_submodule("attention_separable")
    assert nam.penalty() > 0
    torch.testing.assert_close(loss, cross_entropy + nam.penalty())
    plain = DecodingModule(small_model(), 2)
    assert plain.attention_penalty() == 0.0


def test_warmup_then_cosine_schedule():
    factors = [warmup_cosine(e, 2, 10) for e in range(10)]
    assert factors[0] < factors[1] < factors[2] == 1.0
    assert all(a >= b for a, b in zip(factors[2:], factors[3:], strict=False))
    assert warmup_cosine(10, 2, 10) == 0.0


def test_the_optimiser_and_schedule_come_from_the_training_section():
    training = TrainingConfig(
        lr=0.02, weight_decay=0.1, schedule="cosine", warmup_epochs=1, max_epochs=4
    )
    configured = DecodingModule(small_model(), 2, training).configure_optimizers()
    (group,) = configured["optimizer"].param_groups
    assert (group["lr"], group["weight_decay"]) == (pytest.approx(0.01), 0.1)  # warm-up: 1/2
    scheduler = configured["lr_scheduler"]["scheduler"]
    assert [f(3) for f in scheduler.lr_lambdas] == [warmup_cosine(3, 1, 4)]
    assert isinstance(DecodingModule(small_model(), 2).configure_optimizers(), torch.optim.AdamW)


def test_hyperparameters_are_plain_yaml(tmp_path):
    shift = {"time_shift": {"max_shift": 0.2}}
    training = TrainingConfig(augment=["time_shift"], augment_options=shift)
    module = DecodingModule(small_model(), 2, training, sfreq=128.0)
    save_hparams_to_yaml(tmp_path / "hparams.yaml", module.hparams)
    stored = yaml.safe_load((tmp_path / "hparams.yaml").read_text())
    assert stored["n_classes"] == 2 and stored["sfreq"] == 128.0
    assert stored["training"]["augment"] == ["time_shift"]
    assert TrainingConfig(**stored["training"]) == training


def test_augmentation_needs_the_sampling_rate_and_known_names():
    with pytest.raises(ValueError, match="augmentation needs the trials' sampling rate"):
        DecodingModule(small_model(), 2, TrainingConfig(augment=["sign_flip"]))
    with pytest.raises(ConfigError, match="unknown augmentation 'time_warp'") as info:
        DecodingModule(small_model(), 2, TrainingConfig(augment=["time_warp"]), sfreq=128.0)
    assert info.value.key == "training.augment"


def test_augmentation_and_label_smoothing_act_in_training_only():
    model = small_model()
    training = TrainingConfig(augment=["gaussian_noise"], augment_probability=1.0,
                              label_smoothing=0.2)  # fmt: skip
    module = DecodingModule(model, 2, training, sfreq=128.0)
    logged = {}
    module.log_dict = lambda metrics, **kwargs: logged.update(metrics)
    module.eval()  # no dropout: the model is a fixed function of its input
    X, y = torch.randn(6, 4, 128), torch.tensor([0, 1] * 3)
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].clone()))
    loss = module.training_step((X, y), 0)
    assert not torch.equal(seen[-1], X)  # the training batch was augmented
    smoothed = torch.nn.functional.cross_entropy(model(seen[-1]), y, label_smoothing=0.2)
    torch.testing.assert_close(loss, smoothed)
    module.validation_step((X, y), 0)
    assert torch.equal(seen[-1], X)  # validation trials as they are
    plain = torch.nn.functional.cross_entropy(model(X), y)
    torch.testing.assert_close(logged["val_loss"], plain)  # no smoothing either
    with torch.no_grad():
        assert torch.equal(module.predict_step((X, y), 0), model(X))
    assert torch.equal(seen[-1], X)


def test_mixed_cross_entropy_weighs_the_two_label_sets():
    from bci_attn.training.module import mixed_cross_entropy

    logits = torch.randn(5, 3)
    y_a, y_b = torch.tensor([0, 1, 2, 0, 1]), torch.tensor([2, 2, 1, 1, 0])
    ce = torch.nn.functional.cross_entropy
    torch.testing.assert_close(mixed_cross_entropy(logits, y_a), ce(logits, y_a))
    lam = torch.tensor([1.0, 0.0, 0.5, 0.25, 1.0])
    expected = (
        lam * ce(logits, y_a, reduction="none") + (1 - lam) * ce(logits, y_b, reduction="none")
    ).mean()
    torch.testing.assert_close(mixed_cross_entropy(logits, (y_a, y_b, lam)), expected)
    smoothed = mixed_cross_entropy(logits, y_a, label_smoothing=0.1)
    torch.testing.assert_close(smoothed, ce(logits, y_a, label_smoothing=0.1))
