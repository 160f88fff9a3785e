"""Harness of the external corpus: bodies other people captured or published, fed to the public
client exactly as they arrive on the wire.

``tests/external/<carrier>/`` holds the bodies; ``tests/external/SOURCES.md`` says where each came
from, what was changed (redactions only) and what it must produce. A test builds a
:class:`CorpusWire` (a transport answering each request with a corpus body), drives the public
:class:`~carrier_sdk.Client` or :class:`~carrier_sdk.AsyncClient` through it, and asserts the
normalized result field by field. A body the adapter cannot read fails its test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from carrier_sdk._plugins import default_plugin_manager
from carrier_sdk.testing import OperationRunner, make_registry

CORPUS_DIR = Path(__file__).parent

#: Answers one request: the response to send, or ``None`` when the request was not expected.
Answer = Callable[[httpx.Request], httpx.Response | None]


def corpus_bytes(carrier: str, name: str) -> bytes:
    """The body ``tests/external/<carrier>/<name>`` exactly as stored (never re-serialized)."""
    return (CORPUS_DIR / carrier / name).read_bytes()


def corpus_json(carrier: str, name: str) -> Any:
    """The body parsed, for shape comparisons (repeated keys collapse: use the bytes on the wire)."""
    return json.loads(corpus_bytes(carrier, name))


@dataclass
class CorpusWire:
    """A transport answering from the corpus and recording every request it saw."""

    answer: Answer
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        response = self.answer(request)
        if response is None:
            raise AssertionError(f"the corpus has no answer for {request.method} {request.url}")
        return response

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def reply(body: bytes, *, status: int = 200, content_type: str = "application/json") -> httpx.Response:
    """A response carrying ``body`` byte for byte."""
    return httpx.Response(status, content=body, headers={"Content-Type": content_type})


@pytest.fixture
def corpus_run(make_runner: Callable[..., OperationRunner]) -> Callable[..., Any]:
    """``corpus_run(code, settings, wire, method, *args, **kwargs)``: one client method answered by
    a :class:`CorpusWire`, on each client kind in turn (the test kit's runner, no retries)."""

    def run(code: str, settings: Mapping[str, Any], wire: CorpusWire, method: str, *args: Any, **kwargs: Any) -> Any:
        registry = make_registry(default_plugin_manager().registry.get(code))
        runner = make_runner(
            settings={code: dict(settings)}, registry=registry, transport=wire.transport(), max_retries=0
        )
        return runner(method, *args, **kwargs)

    return run


def shape(value: Any) -> Any:
    """The keys and nesting of a JSON value, without its values (lists: the union of items)."""
    if isinstance(value, Mapping):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        kinds: set[str] = set()
        for item in value:
            sub = shape(item)
            if isinstance(sub, dict):
                for key, inner in sub.items():
                    merged.setdefault(key, inner)
            else:
                kinds.add(str(sub))
        return [merged] if merged else sorted(kinds)
    return type(value).__name__


def missing_keys(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Paths of keys (at any depth) present in ``expected`` but absent from ``actual``."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path} (object expected, got {type(actual).__name__})"]
        out: list[str] = []
        for key, sub in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}")
            else:
                out += missing_keys(sub, actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list) and expected and isinstance(expected[0], dict):
        if not isinstance(actual, list) or not actual or not isinstance(actual[0], dict):
            return [f"{path}[] (array of objects expected)"]
        return missing_keys(expected[0], actual[0], f"{path}[]")
    return []


# -- route-table wire (USPS corpus): scripted answers by method and path ---------------------------

#: Alias used by the USPS corpus test.
CORPUS = CORPUS_DIR


@dataclass
class Route:
    """Answer ``method`` requests whose path ends with ``path`` (and whose query contains ``query``)."""

    method: str
    path: str
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # None: any number of times

    def matches(self, request: httpx.Request) -> bool:
        return (
            request.method == self.method
            and request.url.path.endswith(self.path)
            and self.query in request.url.query.decode()
            and (self.times is None or self.times > 0)
        )


class UnroutedRequestError(AssertionError):
    """The SDK sent a request no corpus route answers."""


@dataclass
class Wire:
    """A scripted carrier: routes answer requests in order of declaration; every request is kept."""

    routes: list[Route] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, route: Route) -> Wire:
        self.routes.append(route)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        for route in self.routes:
            if route.matches(request):
                if route.times is not None:
                    route.times -= 1
                headers = {"content-type": route.content_type, **route.headers}
                return httpx.Response(route.status, content=route.body, headers=headers, request=request)
        raise UnroutedRequestError(f"no corpus route answers {request.method} {request.url}")

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        """The requests sent to ``path`` with ``method``."""
        return [r for r in self.requests if r.method == method and r.url.path.endswith(path)]
