"""Single-flight token fetches under attack (issue 18 item 9), over a real loopback server.

Many calls share one USPS OAuth token fetch. When the fetch fails, or its leader is cancelled
or runs out of its own (shorter) deadline, every waiting caller gets a typed error of its own
or fetches again; one caller's cancellation never cancels another.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from carrier_sdk import APITimeoutError, AsyncClient, AuthenticationError, CarrierError, CarrierRegistry, Client
from carrier_sdk.testing import make_registry

from .adversarial import AdversarialServer, Delay, Forward, Request, Respond

pytest.importorskip("carrier_sdk_usps")


def _setup() -> tuple[Any, CarrierRegistry, str]:
    from carrier_sdk_usps._carrier import UspsCarrier
    from carrier_sdk_usps.fake import UspsFake

    fake = UspsFake(seed=5)
    registry = make_registry(UspsCarrier)
    return fake, registry, fake.scenario_numbers["delivered"]


def _slow_token(seconds: float) -> Any:
    def behave(request: Request) -> Any:
        return Delay(seconds, Forward()) if request.operation == "token" else Forward()

    return behave


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
def test_async_leader_cancelled_cancels_no_follower(backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("httpx_aiohttp")
    fake, registry, number = _setup()

    async def main(url: str) -> list[Any]:
        async with AsyncClient(
            settings={"usps": fake.settings(base_url=url)}, registry=registry, environ={}, http_backend=backend
        ) as client:
            leader = asyncio.create_task(client.track(number, carrier="usps"))
            await asyncio.sleep(0.1)  # the leader is fetching the token
            followers = [asyncio.create_task(client.track(number, carrier="usps")) for _ in range(9)]
            await asyncio.sleep(0.2)
            leader.cancel()
            return await asyncio.gather(leader, *followers, return_exceptions=True)

    with AdversarialServer(_slow_token(0.8), api=fake, host_url="https://apis.usps.com") as server:
        results = asyncio.run(main(server.url))
    assert isinstance(results[0], asyncio.CancelledError)
    followers = results[1:]
    cancelled = [r for r in followers if isinstance(r, BaseException)]
    assert cancelled == [], f"{len(cancelled)} of 9 followers failed: {cancelled[:2]}"
    assert all(r.carrier == "usps" for r in followers)


@pytest.mark.parametrize("path", ["sync", "async-httpx", "async-aiohttp"])
def test_failed_token_fetch_gives_each_caller_its_own_typed_error(path: str) -> None:
    if path == "async-aiohttp":
        pytest.importorskip("httpx_aiohttp")
    fake, registry, number = _setup()

    def behave(request: Request) -> Any:
        if request.operation == "token":
            body = b'{"error": "invalid_client", "error_description": "bad credentials"}'
            return Delay(0.4, Respond(401, (("content-type", "application/json"),), body))
        return Forward()

    errors: list[Any] = []
    with AdversarialServer(behave, api=fake, host_url="https://apis.usps.com") as server:
        settings = {"usps": fake.settings(base_url=server.url)}
        if path == "sync":
            client = Client(settings=settings, registry=registry, environ={})

            def one() -> None:
                try:
                    client.track(number, carrier="usps")
                except Exception as err:
                    errors.append(err)

            threads = [threading.Thread(target=one) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            client.close()
        else:

            async def main() -> None:
                async with AsyncClient(
                    settings=settings, registry=registry, environ={}, http_backend=path.removeprefix("async-")
                ) as client:
                    results = await asyncio.gather(
                        *(client.track(number, carrier="usps") for _ in range(6)), return_exceptions=True
                    )
                errors.extend(results)

            asyncio.run(main())
        fetches = server.count("token")
    assert len(errors) == 6
    assert all(isinstance(e, AuthenticationError) for e in errors), errors
    assert len({id(e) for e in errors}) == 6, "each caller gets an error object of its own"
    assert fetches < 6, f"{fetches} token fetches for 6 concurrent calls"


def _race(client: Client, number: str, callers: list[tuple[str, float, float]]) -> dict[str, Any]:
    """Track ``number`` from one thread per ``(name, deadline, delay)``; each one's result or error."""
    outcomes: dict[str, Any] = {}

    def call(name: str, deadline: float, delay: float) -> None:
        threading.Event().wait(delay)
        try:
            outcomes[name] = client.with_options(deadline=deadline).track(number, carrier="usps")
        except BaseException as err:
            outcomes[name] = err

    threads = [threading.Thread(target=call, args=caller) for caller in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    return outcomes


def test_sync_follower_with_a_shorter_deadline_gets_a_typed_timeout() -> None:
    fake, registry, number = _setup()
    with AdversarialServer(_slow_token(1.5), api=fake, host_url="https://apis.usps.com") as server:
        client = Client(settings={"usps": fake.settings(base_url=server.url)}, registry=registry, environ={})

        outcomes = _race(client, number, [("leader", 10.0, 0.0), ("short follower", 0.5, 0.2)])
        client.close()
    assert isinstance(outcomes["short follower"], APITimeoutError), repr(outcomes["short follower"])
    assert not isinstance(outcomes["leader"], BaseException), repr(outcomes["leader"])


def test_sync_leader_with_a_shorter_deadline_does_not_fail_its_followers() -> None:
    fake, registry, number = _setup()
    with AdversarialServer(_slow_token(1.0), api=fake, host_url="https://apis.usps.com") as server:
        client = Client(
            settings={"usps": fake.settings(base_url=server.url)},
            registry=registry,
            environ={},
            timeout=httpx.Timeout(5.0),
        )

        outcomes = _race(client, number, [("short leader", 0.5, 0.0), ("follower", 10.0, 0.2)])
        client.close()
    assert isinstance(outcomes["short leader"], CarrierError), repr(outcomes["short leader"])
    assert not isinstance(outcomes["follower"], BaseException), repr(outcomes["follower"])
