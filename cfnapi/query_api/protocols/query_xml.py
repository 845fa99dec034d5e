"""Query protocol responses as XML, written from the output shape.

``<{Op}Response xmlns=…><{Op}Result>…</{Op}Result><ResponseMetadata>…`` with
lists as ``<member>`` elements and maps as ``<entry><key/><value/></entry>``,
honouring the ``locationName`` and ``flattened`` traits as botocore's
QueryParser reads them.
"""

from __future__ import annotations

import math
import re
from xml.etree import ElementTree as ET

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


def _append(parent: ET.Element, tag: str, shape, value) -> None:
    type_name = shape.type_name
    if type_name == "structure":
        _append_members(ET.SubElement(parent, tag), shape, value)
    elif type_name == "list":
        if traits.is_flattened(shape):
            for item in value:
                if item is not None:
                    _append(parent, tag, shape.member, item)
        else:
            element = ET.SubElement(parent, tag)
            item_name = traits.list_item_name(shape)
            for item in value:
                if item is not None:
                    _append(element, item_name, shape.member, item)
    elif type_name == "map":
        entries_parent = parent if traits.is_flattened(shape) else ET.SubElement(parent, tag)
        entry_tag = tag if traits.is_flattened(shape) else "entry"
        key_name, value_name = traits.map_key_name(shape), traits.map_value_name(shape)
        for map_key, map_value in value.items():
            if map_value is None:
                continue
            entry = ET.SubElement(entries_parent, entry_tag)
            _append(entry, key_name, shape.key, map_key)
            _append(entry, value_name, shape.value, map_value)
    else:
        ET.SubElement(parent, tag).text = _scalar_text(shape, value)


def _append_members(element: ET.Element, shape, value: dict) -> None:
    for name, member_shape in shape.members.items():
        member_value = value.get(name)
        if member_value is not None:
            _append(element, traits.xml_member_name(member_shape, name), member_shape, member_value)


def _response_metadata(root: ET.Element, request_id: str) -> None:
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id


def _to_bytes(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def result_document(operation_model, result: dict, request_id: str) -> bytes:
    root = ET.Element(f"{operation_model.name}Response", xmlns=operation_model.metadata["xmlNamespace"])
    output_shape = operation_model.output_shape
    if output_shape is not None:
        wrapper = ET.SubElement(root, traits.result_wrapper(operation_model))
        _append_members(wrapper, output_shape, result)
    _response_metadata(root, request_id)
    return _to_bytes(root)


def error_document(namespace: str, error: ServiceError, request_id: str) -> bytes:
    root = ET.Element("ErrorResponse", xmlns=namespace)
    detail = ET.SubElement(root, "Error")
    ET.SubElement(detail, "Type").text = "Sender" if error.sender_fault else "Receiver"
    ET.SubElement(detail, "Code").text = error.code
    ET.SubElement(detail, "Message").text = _xml_safe(error.message)
    ET.SubElement(root, "RequestId").text = request_id
    return _to_bytes(root)
