"""Query protocol responses as XML, written from the output shape.

``<{Op}Response xmlns=…><{Op}Result>…</{Op}Result><ResponseMetadata>…`` with
lists as ``<member>`` elements and maps as ``<entry><key/><value/></entry>``,
honouring the ``locationName`` and ``flattened`` traits as botocore's
QueryParser reads them.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from cfnapi.errors import ServiceError

from . import traits
from .document_result import as_bytes, base64_text
from .timestamps import ISO8601, format_timestamp, parse_timestamp, shape_format


# Characters XML 1.0 cannot carry even escaped; a client's parser would reject the document.
_NOT_XML_CHARS = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML_CHARS.sub("\ufffd", text)


def _float_text(value: float) -> str:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _scalar_text(shape, value) -> str:
    type_name = shape.type_name
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "timestamp":
        return str(format_timestamp(parse_timestamp(value), shape_format(shape, ISO8601)))
    if type_name == "blob":
        return base64_text(as_bytes(value))
    if type_name in ("float", "double"):
        return _float_text(value)
    if type_name in ("integer", "long"):
        return str(int(value))
    return _xml_safe(value if isinstance(value, str) else str(value))


# A result is written as text straight away (no ElementTree): building and serialising an
# element tree was over half the CPU of a DescribeStackEvents page (100 events, ~900
# elements). Text is escaped as ElementTree escapes it (& < >); an empty element is
# written <a></a> where ElementTree wrote <a />, the same to any XML parser.
def _write(out: list[str], tag: str, shape, value) -> None:
    type_name = shape.type_name
    if type_name == "structure":
        out.append(f"<{tag}>")
        _write_members(out, shape, value)
        out.append(f"</{tag}>")
    elif type_name == "list":
        if traits.is_flattened(shape):
            for item in value:
                if item is not None:
                    _write(out, tag, shape.member, item)
        else:
            out.append(f"<{tag}>")
            item_name = traits.list_item_name(shape)
            for item in value:
                if item is not None:
                    _write(out, item_name, shape.member, item)
            out.append(f"</{tag}>")
    elif type_name == "map":
        flattened = traits.is_flattened(shape)
        if not flattened:
            out.append(f"<{tag}>")
        entry_tag = tag if flattened else "entry"
        key_name, value_name = traits.map_key_name(shape), traits.map_value_name(shape)
        for map_key, map_value in value.items():
            if map_value is None:
                continue
            out.append(f"<{entry_tag}>")
            _write(out, key_name, shape.key, map_key)
            _write(out, value_name, shape.value, map_value)
            out.append(f"</{entry_tag}>")
        if not flattened:
            out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{escape(_scalar_text(shape, value))}</{tag}>")


@lru_cache(maxsize=4096)
def _xml_members_of(shape) -> tuple[tuple[str, str, object], ...]:
    """(member name, element name, member shape) of a structure, worked out once per shape."""
    return tuple((name, traits.xml_member_name(member_shape, name), member_shape)
                 for name, member_shape in shape.members.items())


def _write_members(out: list[str], shape, value: dict) -> None:
    for name, tag, member_shape in _xml_members_of(shape):
        member_value = value.get(name)
        if member_value is not None:
            _write(out, tag, member_shape, member_value)


_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def result_document(operation_model, result: dict, request_id: str) -> bytes:
    name = operation_model.name
    namespace = escape(operation_model.metadata["xmlNamespace"], {'"': "&quot;"})
    out = [_DECLARATION, f'<{name}Response xmlns="{namespace}">']
    output_shape = operation_model.output_shape
    if output_shape is not None:
        wrapper = traits.result_wrapper(operation_model)
        out.append(f"<{wrapper}>")
        _write_members(out, output_shape, result)
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata></{name}Response>")
    return "".join(out).encode("utf-8")


def _to_bytes(root: ET.Element) -> bytes:
    return _DECLARATION.encode() + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def error_document(namespace: str, error: ServiceError, request_id: str) -> bytes:
    root = ET.Element("ErrorResponse", xmlns=namespace)
    detail = ET.SubElement(root, "Error")
    ET.SubElement(detail, "Type").text = "Sender" if error.sender_fault else "Receiver"
    ET.SubElement(detail, "Code").text = error.code
    ET.SubElement(detail, "Message").text = _xml_safe(error.message)
    ET.SubElement(root, "RequestId").text = request_id
    return _to_bytes(root)
