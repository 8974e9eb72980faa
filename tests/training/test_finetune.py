"""Few-shot fine-tuning: its parts come from the configuration, bad parts name the key."""

import typing

import numpy as np
import pytest
import torch

from bci_attn.config import ConfigError, EvaluationConfig
from bci_attn.models import build_model
from bci_attn.training.finetune import FINETUNE_PARTS, finetune, predict, tuned_modules


def small_model(attention="se"):
    torch.manual_seed(0)
    return build_model("eegnet", attention, n_chans=4, n_times=128, n_outputs=2, sfreq=128)


def test_the_parts_are_those_the_configuration_allows():
    allowed = typing.get_args(typing.get_type_hints(EvaluationConfig)["finetune"])
    assert FINETUNE_PARTS == allowed == ("all", "head", "attention")


def test_each_part_names_its_modules():
    model = small_model()
    assert tuned_modules(model, "all") == [model]
    assert tuned_modules(model, "head") == [model.final_layer]
    (attention,) = tuned_modules(model, "attention")
    assert attention is model.get_submodule("attention_separable")


@pytest.mark.parametrize(
    ("attention", "part", "message"),
    [
        ("se", "bias", "must be one of all, head, attention, got 'bias'"),
        ("none", "attention", "attention: the model has no attention parameters to fine-tune"),
    ],
)
def test_a_part_the_model_cannot_tune_names_the_key(attention, part, message):
    with pytest.raises(ConfigError, match=message) as info:
        tuned_modules(small_model(attention), part)
    assert info.value.key == "evaluation.finetune"


def test_a_finetuned_copy_predicts_and_the_original_is_untouched():
    model = small_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 4, 128)).astype(np.float32), np.tile([0, 1], 4)
    tuned = finetune(model, X, y, part="head", steps=3, lr=1e-2)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    logits = predict(tuned, X, batch_size=3, device="cpu")
    assert logits.shape == (8, 2) and not tuned.training
    torch.testing.assert_close(logits, tuned(torch.as_tensor(X)))
