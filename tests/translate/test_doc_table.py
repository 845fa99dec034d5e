"""docs/resource-types.md is generated; this catches a translation class changed without
regenerating it (``python -m cfnapi.translate.doc_table > docs/resource-types.md``)."""

import subprocess
import sys
from pathlib import Path

RESOURCE_TYPES_DOC = Path(__file__).parents[2] / "docs" / "resource-types.md"


def test_the_resource_types_doc_is_what_the_generator_prints():
    generated = subprocess.run([sys.executable, "-m", "cfnapi.translate.doc_table"], capture_output=True, text=True,
                               check=True, cwd=RESOURCE_TYPES_DOC.parents[1]).stdout
    assert RESOURCE_TYPES_DOC.read_text() == generated, (
        "docs/resource-types.md is stale: run `python -m cfnapi.translate.doc_table > docs/resource-types.md`")
