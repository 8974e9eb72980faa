"""The command line: the ``bci-attn`` console script and its subcommands.

Each module parses its flags, derived from the configuration's options where they are
options (:mod:`bci_attn.cli.flags`), and calls the library; the library never imports
these modules.
"""
