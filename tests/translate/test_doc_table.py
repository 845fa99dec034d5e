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


def test_no_property_aws_replaces_on_change_is_updated_in_place():
    """AWS's provider schemas (cfn-lint's data) mark createOnly properties; a declared property
    may replace where AWS updates in place (the cloud cannot), never the other way round."""
    from cfnapi.translate.base import create_only_properties
    from cfnapi.translate.registry import builtin_resource_types

    in_place_here = [(type_name, spec.name) for type_name, cls in builtin_resource_types().items()
                     for spec in cls.properties
                     if spec.name in create_only_properties(type_name) and spec.update != "replace"]
    assert in_place_here == []
