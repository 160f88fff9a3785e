"""An ASGI application receiving carrier pushes into the watch store (no web framework needed).

``PushReceiver(store, verifiers={"cainiao": cainiao_verifier(secret)})`` serves ``POST /cainiao``
(under an optional ``prefix``). Each request is read up to ``max_body`` bytes, verified and
parsed by the carrier's verifier into a :class:`~carrier_sdk.TrackingInfo`, merged into the
parcel's history with the same diff as a poll (so a pushed event later seen by a poll is not
reported twice), and committed. Only then does the receiver answer 200: a carrier that gets no
2xx pushes again, and the change id is stable, so nothing is lost or duplicated.

Responses: 200 with the carrier's expected acknowledgement, 400 (unverifiable: not retried by
carriers that honour it), 404 (no such carrier path), 405 (not POST), 413 (too large), 500 (the
store failed: the carrier retries).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from .._exceptions import ConfigurationError, PushVerificationError
from .._models import TrackingInfo
from .._settings import Secret
from ._diff import apply_info, merge_push
from ._model import TrackingChange, WatchedParcel
from ._schedule import Schedule
from ._store import CommitBatch, Store

__all__ = ["DEFAULT_MAX_PUSH_BODY", "PushReceiver", "PushVerifier", "cainiao_verifier", "record_push"]

logger = logging.getLogger("carrier_sdk.watch.push")

#: A verifier: raw body and lower-cased headers -> the pushed info; raises PushVerificationError.
PushVerifier = Callable[[bytes, Mapping[str, str]], TrackingInfo]

#: Largest push body read, in bytes.
DEFAULT_MAX_PUSH_BODY = 1024 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: The acknowledgement body each carrier expects (Cainiao's gateways answer ``success: true``).
_ACKS: dict[str, bytes] = {"cainiao": b'{"success":"true"}'}
_DEFAULT_ACK = b'{"success":true}'


def cainiao_verifier(secret_key: str | Secret, *, max_body: int = DEFAULT_MAX_PUSH_BODY) -> PushVerifier:
    """A verifier for Cainiao pushes (``carrier_sdk_cainiao.verify_push`` with your LINK secret).

    Raises:
        ConfigurationError: The Cainiao plugin is not installed, or the secret is empty.
    """
    secret = Secret.coerce(secret_key)
    if not secret.get_secret_value():
        raise ConfigurationError("the Cainiao push verifier needs the LINK secret key")
    try:
        module = importlib.import_module("carrier_sdk_cainiao")
    except ImportError:
        raise ConfigurationError("Cainiao pushes need the plugin: pip install carrier-sdk-cainiao") from None
    verify_push: Callable[..., TrackingInfo] = module.verify_push

    def verify(body: bytes, headers: Mapping[str, str]) -> TrackingInfo:
        return verify_push(body, secret, max_body=max_body)

    return verify


def record_push(
    store: Store,
    info: TrackingInfo,
    *,
    schedule: Schedule | None = None,
    now: float | None = None,
    rng: random.Random | None = None,
    watch_unknown: bool = True,
) -> TrackingChange | None:
    """Merge a pushed ``info`` into ``store`` and commit it; return the change it reveals.

    A number not yet watched starts being watched (unless ``watch_unknown`` is false, then the
    push is ignored and ``None`` returned).
    """
    when = time.time() if now is None else now
    rules = schedule or Schedule()
    parcel = store.get(info.carrier, info.tracking_number)
    new = parcel is None
    if parcel is None:
        if not watch_unknown:
            return None
        parcel = WatchedParcel(
            carrier=info.carrier,
            number=info.tracking_number,
            journey=info.tracking_number,
            added_at=when,
            next_poll_at=when,
        )
    merged = merge_push(parcel, info)
    updated, change = apply_info(parcel, merged, now=when, schedule=rules, rng=rng or random.Random(), source="push")
    changes = [change] if change is not None else []
    store.commit(
        CommitBatch(additions=[updated], changes=changes) if new else CommitBatch(updates=[updated], changes=changes)
    )
    return change


class PushReceiver:
    """The ASGI application (``uvicorn module:receiver``, or mount it in any ASGI framework).

    Args:
        store: The watch store the pushes go into (a watcher delivers the changes to sinks).
        verifiers: Carrier code -> verifier; each is served at ``POST {prefix}/{code}``.
        prefix: Path prefix, e.g. ``"/push"``.
        schedule: The schedule for parcels first seen through a push.
        max_body: Largest body read, in bytes.
        watch_unknown: Start watching numbers first seen through a push.
        clock: Unix time.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        store: Store,
        verifiers: Mapping[str, PushVerifier],
        *,
        prefix: str = "",
        schedule: Schedule | None = None,
        max_body: int = DEFAULT_MAX_PUSH_BODY,
        watch_unknown: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not verifiers:
            raise ConfigurationError("a push receiver needs at least one carrier verifier")
        self.store = store
        self.verifiers = dict(verifiers)
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.schedule = schedule or Schedule()
        self.max_body = max_body
        self.watch_unknown = watch_unknown
        self._clock = clock
        self._rng = random.Random()
        self._lock = asyncio.Lock()
        #: Pushes accepted (committed and acknowledged) per carrier.
        self.accepted: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"<PushReceiver carriers={sorted(self.verifiers)!r} prefix={self.prefix!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point (``http`` and ``lifespan`` scopes)."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope.get("path", "")
        code = path[len(self.prefix) :].strip("/") if path.startswith(self.prefix) else ""
        verifier = self.verifiers.get(code)
        if verifier is None:
            await _respond(send, 404, {"error": "no push receiver here"})
            return
        if scope.get("method") != "POST":
            await _respond(send, 405, {"error": "pushes are POSTed"}, extra=[(b"allow", b"POST")])
            return
        body = await self._read(receive)
        if body is None:
            await _respond(send, 413, {"error": f"push body exceeds {self.max_body} bytes"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            info = verifier(body, headers)
        except PushVerificationError as err:
            logger.warning("watch: rejected a %s push: %s", code, err)
            await _respond(send, 400, {"error": "push verification failed"})
            return
        try:
            async with self._lock:  # one commit at a time: a read-merge-write per parcel
                await asyncio.to_thread(
                    record_push,
                    self.store,
                    info,
                    schedule=self.schedule,
                    now=self._clock(),
                    rng=self._rng,
                    watch_unknown=self.watch_unknown,
                )
        except Exception as err:
            logger.error("watch: could not store a %s push (%s); not acknowledged", code, type(err).__name__)
            await _respond(send, 500, {"error": "push not stored; send it again"})
            return
        self.accepted[code] = self.accepted.get(code, 0) + 1
        await _send(send, 200, _ACKS.get(code, _DEFAULT_ACK))

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _respond(
    send: Send, status: int, data: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await _send(send, status, json.dumps(data).encode("utf-8"), extra)
