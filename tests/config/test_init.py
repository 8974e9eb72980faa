"""The config package imports nothing heavy: a bad value is refused before torch loads."""

from heavy_imports import heavy_imports

import bci_attn.config


def test_importing_the_package_loads_no_heavy_library():
    assert heavy_imports("import bci_attn.config") == []


def test_reading_a_configuration_file_loads_no_heavy_library():
    code = (
        "from pathlib import Path; from bci_attn.config import load_config, RunConfig; "
        "path = sorted(Path('configs').glob('*_loso.yaml'))[0]; "
        "config = load_config(path, max_epochs=6); "
        "assert RunConfig.create(protocol='holdout').fingerprint(); "
        "assert config.training.max_epochs == 6"
    )
    assert heavy_imports(code) == []


def test_every_exported_name_resolves():
    for name in bci_attn.config.__all__:
        assert getattr(bci_attn.config, name) is not None, name
