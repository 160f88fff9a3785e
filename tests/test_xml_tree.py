"""``parse_xml`` drives expat into ElementTree's C tree builder itself (issue 17): the tree it
builds is the one ``ElementTree`` builds, and what it refuses it refuses at the first sign."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from carrier_sdk import ResponseError
from carrier_sdk._xml import MAX_XML_DEPTH, parse_xml

DOCUMENTS = [
    b"<r/>",
    b'<?xml version="1.0" encoding="utf-8"?><r a="1" b="&lt;x&gt;">text<c/>tail &amp; &#65;&#x42;</r>',
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:x">'
    b'<s:Body><R s:mustUnderstand="1" xmlns:p="urn:p" p:k="v"><p:A>1</p:A><B>2</B></R></s:Body></s:Envelope>',
    b"<r><!-- a comment --><?pi data?><a>x<![CDATA[<not> & a tag]]>y</a></r>",
    b"<r>\n  <a>\xc3\xa9\xe2\x82\xac</a>\n</r>\n",
    '<?xml version="1.0" encoding="utf-16"?><r>é</r>'.encode("utf-16"),
    b'<?xml version="1.0" encoding="iso-8859-1"?><r>\xe9</r>',
    b"<r>" + b"<a>" * (MAX_XML_DEPTH - 1) + b"</a>" * (MAX_XML_DEPTH - 1) + b"</r>",
]


@pytest.mark.parametrize("body", DOCUMENTS)
def test_the_tree_is_elementtrees(body: bytes) -> None:
    assert ET.tostring(parse_xml(body, carrier="x")) == ET.tostring(ET.fromstring(body))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>', "DTDs and entities"),
        (b'<!DOCTYPE r SYSTEM "http://127.0.0.1:1/x.dtd"><r/>', "DTDs and entities"),
        (b"<r>&undefined;</r>", "not well-formed"),
        (b"<r>" * (MAX_XML_DEPTH + 1), "nesting too deep"),
        (b"<r><a></r>", "not well-formed"),
        (b"<r/><r/>", "not well-formed"),
    ],
)
def test_refusals(body: bytes, reason: str) -> None:
    with pytest.raises(ResponseError, match=reason):
        parse_xml(body, carrier="x")
