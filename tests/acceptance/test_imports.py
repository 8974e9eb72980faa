"""Every module of the package imports: a broken install (torch and torchaudio that do not
load together, a missing dependency) fails here at once, naming the module."""

import importlib
import pkgutil

import pytest

import bci_attn

MODULES = sorted(
    module.name for module in pkgutil.walk_packages(bci_attn.__path__, prefix="bci_attn.")
)


def test_the_package_has_modules():
    assert "bci_attn.run" in MODULES and "bci_attn.attention" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    importlib.import_module(name)
