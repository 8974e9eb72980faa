"""Flags of earlier versions about where data come from (the data sources themselves are
tested in ``tests/data/test_datasets.py``).

Left for the new command line: this test calls the old ``bci_attn.run.main``.
"""

from bci_attn.run import main


def run_cli(capsys, *args) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_info:
        code = exit_info.code
    return code, capsys.readouterr().err


def test_the_download_flag_of_earlier_versions_is_still_accepted(capsys, tmp_path):
    args = ["--dataset", "synthetic", "--download", "--list-folds", "--subjects", "1-3"]
    code, err = run_cli(capsys, *args)
    assert code == 0, err
