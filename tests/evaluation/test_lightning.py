"""``bci-attn fit``'s classes: their signatures are the sections' options, so LightningCLI
derives its arguments from the one declaration; one fold as a run's unit sees it."""

import dataclasses
import inspect
import typing

import numpy as np
import pytest
import torch
from jsonargparse import ArgumentParser

from bci_attn.config import DataConfig, EvaluationConfig, ModelConfig, TrainingConfig
from bci_attn.evaluation.lightning import WHOLE_RUN, EEGDecoder, FoldDataModule
from bci_attn.evaluation.preparation import prepare
from bci_attn.training.batches import standardise

SHAPE = ("n_chans", "n_times", "n_classes", "sfreq")


def options_of(*sections: type) -> dict[str, tuple]:
    """Option name -> (default, type) of the sections' options a fold takes, in order."""
    found = {}
    for cls in sections:
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            if item.name not in WHOLE_RUN:
                default = getattr(cls(), item.name)
                kind = hints[item.name]
                if item.metadata["spec"].form == "subjects":  # ranges as text, as elsewhere
                    kind = kind | str
                found[item.name] = (default, kind)
    return found


@pytest.mark.parametrize(
    ("cls", "own", "sections"),
    [
        (EEGDecoder, ("self", *SHAPE), (ModelConfig, TrainingConfig)),
        (FoldDataModule, ("self", "fold", "batch_size", "seed"), (DataConfig, EvaluationConfig)),
    ],
)
def test_the_signature_is_the_sections_options(cls, own, sections):
    parameters = inspect.signature(cls.__init__).parameters
    expected = options_of(*sections)
    assert list(parameters) == [*own, *expected]
    for name, (default, annotation) in expected.items():
        assert (parameters[name].default, parameters[name].annotation) == (default, annotation)
    every = {f.name for cls in sections for f in dataclasses.fields(cls)}
    assert every - set(parameters) == set(WHOLE_RUN) & every  # seeds, ensemble: whole runs'


def test_jsonargparse_derives_the_arguments_and_checks_them():
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(FoldDataModule, "data")
    parser.add_class_arguments(EEGDecoder, "model", skip=set(SHAPE))
    parsed = parser.parse_args(["--data.subjects=[1,2]", "--model.lr=0.01"])
    assert (parsed.data.subjects, parsed.data.protocol, parsed.data.fold) == ((1, 2), "loso", 0)
    assert parser.parse_args(["--data.subjects=1-3"]).data.subjects == "1-3"  # read as a range
    assert (parsed.model.lr, parsed.model.max_epochs) == (0.01, 30)
    with pytest.raises(Exception, match="constant"):
        parser.parse_args(["--model.schedule=fast"])


def test_one_fold_is_trained_on_what_a_runs_unit_would_see():
    options = dict(dataset="synthetic", subjects=[1, 2, 3], n_classes=2, tmax=1.0)
    module = FoldDataModule(fold="subject2", batch_size=16, seed=3, **options)
    assert (module.n_chans, module.n_classes, module.sfreq) == (22, 2, 128.0)
    assert module.fold.name == "subject2"
    assert module.config.evaluation.seeds == (3,)
    ready = prepare(module.config)
    fold = ready.select("subject2")
    train, valid, test = standardise(
        *(ready.data.X[i] for i in (fold.train, fold.valid, fold.test))
    )
    module.setup("fit")
    np.testing.assert_allclose(module.splits["train"][0], train)
    np.testing.assert_allclose(module.splits["test"][0], test)
    assert np.array_equal(module.splits["valid"][1], ready.data.y[fold.valid])
    assert FoldDataModule(fold=1, **options).fold is None  # loaded when first needed
    with pytest.raises(ValueError, match="fold 7 out of range: the protocol has 3 folds"):
        FoldDataModule(fold=7, **options).n_chans  # noqa: B018


def test_the_decoder_is_built_from_the_model_and_training_options():
    decoder = EEGDecoder(
        22, 128, 2, 128.0, attention="se", attention_options={"reduction": 2}, lr=0.01,
        schedule="cosine", warmup_epochs=1, max_epochs=4,
    )  # fmt: skip
    assert decoder.model.get_submodule("attention_separable") is not None
    training = TrainingConfig(lr=0.01, schedule="cosine", warmup_epochs=1, max_epochs=4)
    assert decoder.options == training
    assert TrainingConfig(**decoder.hparams["training"]) == training
    assert decoder.model(torch.randn(3, 22, 128)).shape == (3, 2)
