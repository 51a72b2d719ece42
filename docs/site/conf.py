"""Sphinx configuration of the library's docs site (`make docs` builds it into build/docs)."""

from __future__ import annotations

import sys
from pathlib import Path

from pygments.lexers.special import TextLexer  # type: ignore[import-untyped]
from sphinx.application import Sphinx

__all__ = ["setup"]

_LIB = Path(__file__).resolve().parents[2] / "lib"
sys.path.insert(0, str(_LIB))

import aiozipkin  # noqa: E402  (from lib/, after the path above)

project = "aiozipkin"
author = "the aiozipkin authors"
copyright = "the aiozipkin authors, Apache-2.0"
version = release = aiozipkin.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]

# The guides are sections of lib/README.md and README.md, included as they are written: their
# headings start at level 2 or 3 under each page's title, so skipped levels are expected.
suppress_warnings = ["myst.header"]
myst_heading_anchors = 3
# The README's `#propagation` and `#testing` links lead to the pages of those names.
myst_ref_domains = ["std"]
# Docstrings mark names with single backticks, as in Markdown: show them as code.
default_role = "literal"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = f"aiozipkin {release}"


def setup(app: Sphinx) -> None:
    # The walkthrough's diagram is Mermaid source; the site shows it as text.
    app.add_lexer("mermaid", TextLexer)
