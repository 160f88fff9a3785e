"""A corpus of hostile and malformed response bodies, derived from a real one.

Used by the conformance suite: an adapter's parser must turn every one of them into a result or
a typed :class:`~carrier_sdk.CarrierError`, quickly, never a ``KeyError``, a ``RecursionError``
or a hang.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

__all__ = ["hostile_bodies"]

_STATIC: tuple[bytes, ...] = (
    b"",
    b" ",
    b"\n\n",
    b"null",
    b"true",
    b"0",
    b'""',
    b"[]",
    b"{}",
    b"[{}]",
    b"[null]",
    b"[" * 5000,
    b"{" * 5000,
    b'{"a":' * 3000,
    b'{"x": NaN}',
    b'{"x": Infinity}',
    b'{"x": -Infinity}',
    b'{"x": 1e400}',
    b'{"a": 1, "a": 2}',
    b"\xff\xfe\x00\x00garbage",
    b"\xc3\x28\xa0\xa1",
    b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    b"<!DOCTYPE html><html><body>Maintenance</body></html>",
    b"Rate limit exceeded",
    b"Internal Server Error",
    b"<a>" * 100_000 + b"</a>" * 100_000,
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><r>&lol2;</r>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
    b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd"><r/>',
    b"<r><unclosed></r>",
    b"<?xml version='1.0'?>",
    b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body/></soapenv:Envelope>",
    b"\x1f\x8b\x08\x00garbage-gzip",
)

_WRONG_VALUES: tuple[Any, ...] = (
    None,
    [],
    {},
    "",
    "x" * 300,
    -1,
    0,
    1e308,
    True,
    "9999-99-99T99:99:99",
    "\u202e",
    [[[[]]]],
)


def _json_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, (*path, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        copy[head] = _replace(value[head], rest, new)
        return copy
    copy_list = list(value)
    copy_list[head] = _replace(value[head], rest, new)
    return copy_list


def _json_mutations(body: bytes, rng: random.Random, count: int) -> Iterator[bytes]:
    try:
        data = json.loads(body)
    except ValueError:
        return
    paths = list(_json_paths(data))
    for _ in range(count):
        path = rng.choice(paths)
        yield json.dumps(_replace(data, path, rng.choice(_WRONG_VALUES))).encode()


def _xml_mutations(body: bytes, rng: random.Random, count: int) -> Iterator[bytes]:
    text = body.decode("utf-8", "replace")
    tags = [i for i, ch in enumerate(text) if ch == "<"]
    if not tags:
        return
    for _ in range(count):
        kind = rng.randrange(4)
        start = rng.choice(tags)
        end = text.find(">", start)
        if end < 0:
            continue
        if kind == 0:  # drop one tag (unbalances the document)
            yield (text[:start] + text[end + 1 :]).encode()
        elif kind == 1:  # garbage text after a tag
            yield (
                text[: end + 1] + rng.choice(["-", "", "x" * 50, "9999", "&amp;", "true", "nan"]) + text[end + 1 :]
            ).encode()
        elif kind == 2:  # cut the document at a tag
            yield text[:start].encode()
        else:  # duplicate a tag
            yield (text[: end + 1] + text[start : end + 1] + text[end + 1 :]).encode()


def hostile_bodies(valid: bytes, *, seed: str = "", size: int = 300) -> list[bytes]:
    """About ``size`` bodies: a fixed hostile set, then truncations, byte flips and structural
    mutations of ``valid`` (deterministic for a given ``seed``)."""
    rng = random.Random(f"hostile:{seed}")
    out = list(_STATIC)
    if valid:
        for _ in range(40):
            out.append(valid[: rng.randrange(len(valid))])
        for _ in range(60):
            data = bytearray(valid)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            out.append(bytes(data))
        remaining = max(0, size - len(out))
        out.extend(_json_mutations(valid, rng, remaining))
        out.extend(_xml_mutations(valid, rng, max(0, size - len(out))))
    return out
