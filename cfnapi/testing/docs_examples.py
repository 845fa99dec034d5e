"""Templates quoted in the documentation, so that tests run exactly what the docs show.

An example is the fenced block after ``<!-- example: NAME -->`` and before
``<!-- end example -->`` in a Markdown file under ``docs/``.
"""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def docs_example(document: str, name: str) -> str:
    text = (DOCS / document).read_text()
    found = re.search(rf"<!-- example: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```\s*<!-- end example -->",
                      text, re.DOTALL)
    if found is None:
        raise LookupError(f"docs/{document} has no example {name!r}")
    return found.group(1)
