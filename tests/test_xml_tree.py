"""``parse_xml`` drives expat into ElementTree's C tree builder itself (issue 17): the tree it
builds is the one ``ElementTree`` builds, and what it refuses it refuses at the first sign."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carrier_sdk import ResponseError, _xml
from carrier_sdk._xml import MAX_XML_DEPTH, MAX_XML_ELEMENTS, parse_xml

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
        (b"<r>" * (MAX_XML_DEPTH + 1) + b"</r>" * (MAX_XML_DEPTH + 1), "nesting too deep"),  # well-formed
        (b"<r>" + b"<a><b/></a>" * 3 + b"<a>" * MAX_XML_DEPTH + b"</a>" * MAX_XML_DEPTH + b"</r>", "nesting too deep"),
        ('<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'.encode("utf-16"), "DTDs"),
        (b"<r>" + b"<a/>" * MAX_XML_ELEMENTS + b"</r>", "elements"),  # one "<" per element
        (b"<r><a></r>", "not well-formed"),
        (b"<r/><r/>", "not well-formed"),
    ],
)
def test_refusals(body: bytes, reason: str) -> None:
    with pytest.raises(ResponseError, match=reason):
        parse_xml(body, carrier="x")


def _checked_path_only(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Make the per-tag checked path fail loudly; return the bodies it was asked to parse."""
    seen: list[bytes] = []
    checked = _xml._build_with

    def build_with(parser: object, *, count_text: bool) -> object:
        seen.append(b"")
        return checked(parser, count_text=count_text)  # type: ignore[arg-type]

    monkeypatch.setattr(_xml, "_build_with", build_with)
    return seen


@pytest.mark.parametrize(
    ("body", "checked"),
    [
        (b"<r><a>x</a></r>", False),
        (b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><r>\xc3\xa9</r>', False),
        (b"<r>" + b"<a>" * (MAX_XML_DEPTH - 1) + b"</a>" * (MAX_XML_DEPTH - 1) + b"</r>", False),
        (b"<r><!-- c --></r>", True),  # a comment: "<!"
        (b"<r><![CDATA[x]]></r>", True),
        (b'<?xml version="1.0" encoding="iso-8859-1"?><r>\xe9</r>', True),
        ('<?xml version="1.0" encoding="utf-16"?><r>x</r>'.encode("utf-16"), True),
        (b"<r>" + b"<a/>" * MAX_XML_ELEMENTS + b"</r>", True),
    ],
)
def test_plain_documents_skip_the_per_tag_checks(monkeypatch: pytest.MonkeyPatch, body: bytes, checked: bool) -> None:
    # A UTF-8/ASCII body with no "<!" and fewer "<" than the element limit cannot hold a DTD, an
    # entity, a comment, CDATA, too many elements or a too-long text: ElementTree's C parser
    # builds it and only the depth is checked after. Anything else takes the per-tag checks.
    seen = _checked_path_only(monkeypatch)
    try:
        tree = parse_xml(body, carrier="x")
    except ResponseError:
        assert checked  # the element-limit case is refused, by the checked path
    else:
        assert ET.tostring(tree) == ET.tostring(ET.fromstring(body))
    assert bool(seen) is checked


def test_a_plain_body_that_is_not_well_formed_is_explained_by_the_checked_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _checked_path_only(monkeypatch)
    with pytest.raises(ResponseError, match="nesting too deep"):  # not "not well-formed": the first sign
        parse_xml(b"<r>" * (MAX_XML_DEPTH + 1), carrier="x")
    assert seen


_NAMES = st.sampled_from(["a", "b", "Item", "p:x", "Date"])
_TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)


@st.composite
def _documents(draw: st.DrawFn, depth: int = 0) -> str:
    """A small well-formed document: nested elements with attributes, texts and tails, escaped."""
    from xml.sax.saxutils import escape, quoteattr

    name = draw(_NAMES)
    attrs = "".join(f" k{i}={quoteattr(v)}" for i, v in enumerate(draw(st.lists(_TEXTS, max_size=2))))
    children = draw(st.lists(_documents(depth + 1), max_size=3)) if depth < 3 else []
    inner = "".join(child + escape(draw(_TEXTS)) for child in children)
    return f"<{name}{attrs}>{escape(draw(_TEXTS))}{inner}</{name}>"


@given(_documents(), st.booleans())
def test_both_paths_build_elementtrees_tree(document: str, commented: bool) -> None:
    # A comment ("<!") sends the same document down the checked path: both must build what
    # ElementTree builds (comments are dropped by its default tree builder too).
    wrapped = f'<r xmlns:p="urn:p">{"<!-- c -->" if commented else ""}{document}</r>'.encode()
    assert ET.tostring(parse_xml(wrapped, carrier="x")) == ET.tostring(ET.fromstring(wrapped))
