"""The data package imports nothing heavy until a name needs it."""

import pytest
from heavy_imports import heavy_imports

import bci_attn.data


def test_importing_the_package_loads_no_heavy_library():
    code = "import bci_attn.data as d; assert d.session_order(['1', '0']) == ['0', '1']"
    assert heavy_imports(code) == []


def test_every_exported_name_resolves_and_others_are_refused():
    for name in bci_attn.data.__all__:
        assert getattr(bci_attn.data, name).__name__ == name
    with pytest.raises(AttributeError, match="has no attribute 'load_everything'"):
        bci_attn.data.load_everything  # noqa: B018
