"""The training package loads torch and Lightning only with the names that need them."""

import pytest
from heavy_imports import heavy_imports

import bci_attn.training


def test_importing_the_package_loads_no_heavy_library():
    assert heavy_imports("import bci_attn.training") == []


def test_every_exported_name_resolves_and_others_are_refused():
    for name in bci_attn.training.__all__:
        assert getattr(bci_attn.training, name) is not None
    assert bci_attn.training.predict is bci_attn.training.parallel.predict  # one function
    with pytest.raises(AttributeError, match="has no attribute 'train_everything'"):
        bci_attn.training.train_everything  # noqa: B018
