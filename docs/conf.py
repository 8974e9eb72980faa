"""Sphinx configuration of the bci-attn documentation site.

Build it from the repository's root (the ``docs`` extra, part of ``test``, installs Sphinx)::

    sphinx-build -b html docs docs/_build/html            # then open docs/_build/html/index.html
    sphinx-build -W --keep-going -b html docs /tmp/site   # as CI does: warnings are errors

The pages are Markdown (MyST); the API reference is generated at build time from the
package's numpydoc docstrings (``api/generated/``, git-ignored) and the configuration
reference from the options' declarations (``_ext/bci_attn_options.py``). Nothing here
needs data or a network: the build imports the package's modules, never a dataset, and the
theme (furo) ships its assets.
"""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))

import bci_attn  # noqa: E402

# braindecode 1.8 warns, when its models are imported, that MNE will rename a montage: the
# package's own concern, and not a Sphinx warning; kept out of the build's output.
warnings.filterwarnings(
    "ignore", "Montage name 'standard_1020' is deprecated", category=FutureWarning
)

project = "bci-attn"
author = "the bci-attn developers"
copyright = "the bci-attn developers, BSD-3-Clause"
version = release = bci_attn.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "bci_attn_options",
]

# Command lines are the subject of these pages: "--flag" stays two hyphens, quotes stay straight.
smartquotes = False

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# -- MyST (Markdown) ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]
# links to a section of another page: [text](running.md#resuming-a-killed-run)
myst_heading_anchors = 3

# -- API reference -------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # A package's __init__ re-exports names defined in its modules (and serves some lazily,
    # bci_attn.lazy): each name is documented once, where it is defined.
    "ignore-module-all": True,
}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Methods that override Lightning's hooks without a docstring of their own would show
# Lightning's, written for Lightning's site (its roles, directives and labels).
autodoc_inherit_docstrings = False

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Docstrings written as prose (one line, or paragraphs with ``Parameters``/``Returns``
# sections where they help) are the package's style; numpydoc's validation is not run.
numpydoc_validation_checks: set[str] = set()

# -- HTML ----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"bci-attn {release}"
html_static_path: list[str] = []
html_show_sourcelink = False


def skip_type_aliases(app, what, name, obj, skip, options):
    """Leave out module-level type aliases (``Reference = tuple[int, int, dict]``).

    A parametrised generic passes for a class (``isinstance(tuple[int], type)`` is true)
    and carries the docstring of its origin (``tuple``'s), so autodoc would document it
    as a class and fail on its signature. The annotations that use an alias show it.
    """
    if isinstance(obj, types.GenericAlias):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_type_aliases)
