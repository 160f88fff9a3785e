"""A loopback HTTP/1.1 server that misbehaves on purpose, for the reliability tests (issue 18).

It listens on 127.0.0.1 on a free port and, for each request, asks a ``behave`` callable what to
do: answer, reset the connection after reading the request, hang, trickle bytes, send part of a
body and reset. It counts the requests it read completely per (method, path) and per operation
of an optional fake carrier API it forwards to.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
import httpx


@attrs.frozen
class Respond:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@attrs.frozen
class Reset:
    """Read the whole request, then reset the connection (RST) without answering."""


@attrs.frozen
class Hang:
    """Read the whole request, then say nothing until the client leaves (or ``seconds`` pass)."""

    seconds: float = 30.0


@attrs.frozen
class Trickle:
    """Send the status line and headers (after ``header_delay`` seconds, one byte at a time
    when ``trickle_headers``), then the body one byte every ``interval`` seconds."""

    body: bytes
    interval: float = 0.25
    status: int = 200
    trickle_headers: bool = False
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


@attrs.frozen
class PartialThenReset:
    """Send the headers and the first ``sent`` bytes of ``body`` (declared in full), then reset."""

    body: bytes
    sent: int = 10
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


@attrs.frozen
class Forward:
    """Answer with what ``api.handle`` answers (a fake carrier), optionally transformed."""

    transform: Callable[[httpx.Response], Any] | None = None


@attrs.frozen
class Delay:
    """Wait ``seconds``, then do ``then``."""

    seconds: float
    then: Any


Action = Respond | Reset | Hang | Trickle | PartialThenReset | Forward | Delay


class Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.operation = ""


class AdversarialServer(contextlib.AbstractContextManager["AdversarialServer"]):
    """The server; a context manager (the stdlib's ``__enter__`` returns it) that closes on exit."""

    def __init__(
        self,
        behave: Callable[[Request], Action] | None = None,
        api: Any = None,
        host_url: str = "",
    ) -> None:
        self.behave = behave or (lambda request: Forward())
        self.api = api
        self.host_url = host_url  # the base URL the fake API expects (requests are rewritten to it)
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests: list[Request] = []
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()

    def count(self, operation: str) -> int:
        with self.lock:
            return self.counts[operation]

    # -- internals ------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket, buffer: bytearray) -> Request | None:
        while b"\r\n\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buffer += chunk
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = bytearray(rest)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        buffer[:] = body[length:]
        return Request(method, path, headers, bytes(body[:length]))

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(60)
        buffer = bytearray()
        try:
            while not self.stop.is_set():
                request = self._read_request(conn, buffer)
                if request is None:
                    return
                forwarded = None
                if self.api is not None:
                    forwarded = httpx.Request(
                        request.method,
                        (self.host_url or "http://fake.invalid") + request.path,
                        headers=request.headers,
                        content=request.body,
                    )
                    try:
                        request.operation = self.api.route(forwarded)[0]
                    except Exception:
                        request.operation = "?"
                with self.lock:
                    self.counts[f"{request.method} {request.path.split('?')[0]}"] += 1
                    if request.operation:
                        self.counts[request.operation] += 1
                    self.requests.append(request)
                action = self.behave(request)
                if not self._act(conn, action, forwarded):
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _act(self, conn: socket.socket, action: Action, forwarded: httpx.Request | None) -> bool:
        if isinstance(action, Reset):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if isinstance(action, Hang):
            self.stop.wait(action.seconds)
            return False
        if isinstance(action, Delay):
            if self.stop.wait(action.seconds):
                return False
            return self._act(conn, action.then, forwarded)
        if isinstance(action, Forward):
            assert self.api is not None
            assert forwarded is not None
            response = self.api.handle(forwarded)
            response.read()
            result = action.transform(response) if action.transform else response
            if not isinstance(result, httpx.Response):
                return self._act(conn, result, None)
            headers = tuple(
                (k, v) for k, v in result.headers.items() if k.lower() not in ("content-length", "content-encoding")
            )
            return self._act(conn, Respond(result.status_code, headers, result.content), None)
        if isinstance(action, Respond):
            conn.sendall(_head(action.status, action.headers, len(action.body)) + action.body)
            return True
        if isinstance(action, PartialThenReset):
            conn.sendall(_head(action.status, action.headers, len(action.body)) + action.body[: action.sent])
            time.sleep(0.05)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if isinstance(action, Trickle):
            head = _head(action.status, action.headers, len(action.body))
            data = head + action.body if action.trickle_headers else action.body
            if not action.trickle_headers:
                conn.sendall(head)
            for i in range(len(data)):
                if self.stop.wait(action.interval):
                    return False
                conn.sendall(data[i : i + 1])
            return True
        raise AssertionError(action)


def _head(status: int, headers: tuple[tuple[str, str], ...], length: int) -> bytes:
    lines = [f"HTTP/1.1 {status} {httpx.codes.get_reason_phrase(status) or 'Status'}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append(f"content-length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port
