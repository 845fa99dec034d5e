"""Serialization traits the two AWS models do not use today, on a small model of our own.

locationName, flattened lists and maps, named list members and
timestampFormat must round-trip with botocore exactly as modelled.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.model import ServiceModel

from cfnapi.query_api.protocols import protocol_for

from .oracle import client_parse, client_request

WHEN = datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)

_SHAPES = {
    "Input": {
        "type": "structure",
        "required": ["Renamed"],
        "members": {
            "Renamed": {"shape": "String", "locationName": "OnTheWire"},
            "Flat": {"shape": "FlatList"},
            "FlatNamed": {"shape": "FlatNamedList"},
            "Named": {"shape": "NamedMemberList"},
            "FlatMap": {"shape": "FlatMap"},
            "RenamedMap": {"shape": "RenamedKeyMap"},
            "Epoch": {"shape": "EpochTime"},
            "Http": {"shape": "HttpTime"},
            "Iso": {"shape": "Time"},
            "Data": {"shape": "Blob"},
            "Ratio": {"shape": "Float"},
        },
    },
    "String": {"type": "string"},
    "Float": {"type": "float"},
    "Blob": {"type": "blob"},
    "Time": {"type": "timestamp"},
    "EpochTime": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
    "HttpTime": {"type": "timestamp", "timestampFormat": "rfc822"},
    "FlatList": {"type": "list", "member": {"shape": "String"}, "flattened": True},
    "FlatNamedList": {"type": "list", "member": {"shape": "String", "locationName": "Item"}, "flattened": True},
    "NamedMemberList": {"type": "list", "member": {"shape": "String", "locationName": "Thing"}},
    "FlatMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}, "flattened": True},
    "RenamedKeyMap": {
        "type": "map",
        "key": {"shape": "String", "locationName": "Name"},
        "value": {"shape": "String", "locationName": "Setting"},
    },
}

MODEL = ServiceModel(
    {
        "metadata": {
            "apiVersion": "2020-01-01",
            "protocol": "query",
            "protocols": ["query", "json"],
            "jsonVersion": "1.0",
            "targetPrefix": "Example",
            "xmlNamespace": "http://example.com/doc/2020-01-01/",
            "serviceId": "Example",
            "endpointPrefix": "example",
        },
        "operations": {
            "Echo": {
                "name": "Echo",
                "http": {"method": "POST", "requestUri": "/"},
                "input": {"shape": "Input"},
                "output": {"shape": "Input", "resultWrapper": "EchoResult"},
            }
        },
        "shapes": _SHAPES,
    },
    service_name="example",
)

VALUE = {
    "Renamed": "r",
    "Flat": ["a", "b"],
    "FlatNamed": ["c", "d"],
    "Named": ["e", "f"],
    "FlatMap": {"k1": "v1", "k2": "v2"},
    "RenamedMap": {"n1": "s1"},
    "Epoch": WHEN,
    "Http": WHEN.replace(microsecond=0),
    "Iso": WHEN,
    "Data": b"\x00bin",
    "Ratio": 0.25,
}


@pytest.mark.parametrize("protocol", ["query", "json"])
def test_traits_round_trip_requests(protocol):
    operation_model = MODEL.operation_model("Echo")
    wire = client_request(protocol, operation_model, VALUE)
    assert protocol_for(protocol).parse(operation_model, wire) == VALUE


@pytest.mark.parametrize("protocol", ["query", "json"])
def test_traits_round_trip_results(protocol):
    operation_model = MODEL.operation_model("Echo")
    response = protocol_for(protocol).serialize(operation_model, VALUE, "rid")
    parsed = client_parse(protocol, operation_model, response)
    parsed.pop("ResponseMetadata")
    assert parsed == VALUE


def test_xml_uses_the_modelled_names():
    body = protocol_for("query").serialize(MODEL.operation_model("Echo"), VALUE, "rid").body.decode()
    assert '<EchoResponse xmlns="http://example.com/doc/2020-01-01/"><EchoResult>' in body
    assert "<OnTheWire>r</OnTheWire>" in body
    assert "<Flat>a</Flat><Flat>b</Flat>" in body
    assert "<Item>c</Item><Item>d</Item>" in body
    assert "<Named><Thing>e</Thing><Thing>f</Thing></Named>" in body
    assert "<FlatMap><key>k1</key><value>v1</value></FlatMap>" in body
    assert "<RenamedMap><entry><Name>n1</Name><Setting>s1</Setting></entry></RenamedMap>" in body
    assert f"<Epoch>{WHEN.timestamp()}</Epoch>" in body
    assert "<Http>Mon, 06 May 2024 07:08:09 GMT</Http>" in body
    assert "<Iso>2024-05-06T07:08:09.500Z</Iso>" in body
    assert "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>" in body


def test_absent_and_none_members_are_omitted_never_written_as_none():
    body = protocol_for("query").serialize(MODEL.operation_model("Echo"), {"Renamed": "r", "Flat": None}, "rid").body
    assert b"None" not in body and b"<Flat" not in body
