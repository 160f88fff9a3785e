"""carrier-sdk beside the raw baselines and the peer (karrio), in one run, as ratios.

Reproduce (from the repository root, after the README's install line; the first run creates the
peer's benchmark-only venv ``.venv-bench-peer`` from ``benchmarks/requirements-peer.txt``)::

    .venv/bin/python benchmarks/compare.py              # 1,000 numbers, 12 events, 0 and 20 ms, 3 rounds (batched 15)
    .venv/bin/python benchmarks/compare.py --rounds 5   # each bulk variant timed 5 times: the medians
    .venv/bin/python benchmarks/compare.py --quick      # tiny sizes, a smoke run (seconds)
    .venv/bin/python benchmarks/compare.py --no-peer    # without karrio
    .venv/bin/python benchmarks/compare.py --profile sdk-sync   # cProfile one SDK variant
    .venv/bin/python benchmarks/compare.py --only parse         # the parse rows alone, 3 rounds
    .venv/bin/python benchmarks/compare.py --only aiohttp-parts # AsyncClient/aiohttp: trace, wrapper, parse off

Everything talks to ONE loopback fake USPS APIs v3 server of this script's own (a stdlib asyncio
server in a child process, port 0, optional per-request latency). It answers the OAuth token
request, ``GET /tracking/v3/tracking/{number}`` and ``POST /tracking/v3r2/tracking`` with bodies
taken from the SDK's USPS fake (real wire shapes), each history stretched to ``--events`` events.

Measured for each latency (client CPU = ``time.process_time()`` of this process, all threads,
divided by the count of numbers; wall = ``time.perf_counter()``); every variant first tracks a few
numbers untimed (token, connections):

- raw baselines: a plain ``httpx.Client`` GET loop, ``httpx.AsyncClient`` (+ semaphore 16) over
  httpx's transport and over ``httpx-aiohttp``, a plain v3r2 batch loop (35 per POST); each does
  ``json.loads`` + a plain dict walk (copies every field, strips every string) per body;
- carrier-sdk: ``Client.track_many`` (v3), ``AsyncClient.track_many`` over httpx and over aiohttp
  (v3; with latency also at ``concurrency=32``, "@32"), batched v3r2 through ``Client`` and
  ``AsyncClient`` (aiohttp); all at the default concurrency (16) unless marked;
- the peer: ``karrio`` + ``karrio-usps`` (pinned in ``benchmarks/requirements-peer.txt``) in its own
  venv, run as a subprocess (``benchmarks/_peer_karrio.py``) so its imports never mix with ours.

Parsing: one 50-event tracking body per installed adapter (the fake's own body, its event list
stretched), through the adapter's own tracking flow (``flow.send(response)``: JSON/XML decoding
with its hardening, mapping, typed models) against ``json.loads`` (``ElementTree.fromstring`` for
XML carriers) + the plain walk; karrio's USPS mapper on the same USPS body. Each side is timed
one body at a time (the SDK and its baseline in turn) and reported as the median per body.

Cold start: fresh interpreters (bytecode caching on), median: ``import httpx``, ``import
carrier_sdk`` (also both with ``click`` unimportable: with the ``[cli]`` extra installed, ``import
httpx`` imports click, rich and pygments for its own command line), karrio's ``import karrio.sdk`` + USPS mapper, ``import httpx`` + one GET to the
loopback server, and ``Client(sandbox=True)`` + ``carriers()`` + one ``track``.

Observers: the SDK is measured without observation plugins (``CARRIER_SDK_DISABLE_PLUGINS=otel``,
in this process and the cold-start children): an installed ``carrier-sdk-otel`` observes every
call, and what that costs is ``benchmarks/observers.py``'s measurement. ``--observers`` keeps the
installed observers on.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import cProfile
import hashlib
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import httpx

from carrier_sdk import AsyncClient, Client, Location, TrackingEvent, TrackingInfo, TrackingStatus
from carrier_sdk.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_REQUIREMENTS = HERE / "requirements-peer.txt"
PEER_RUNNER = HERE / "_peer_karrio.py"
DEFAULT_PEER_VENV = ROOT / ".venv-bench-peer"
PLACEHOLDER = "@@NUMBER@@"
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
CONCURRENCY = 16
BATCH = 35

# -- bodies -----------------------------------------------------------------------------------


def _longest_dict_list(node: Any) -> list[Any] | None:
    best: list[Any] | None = None
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            if item and all(isinstance(x, dict) for x in item) and (best is None or len(item) > len(best)):
                best = item
            stack.extend(item)
    return best


def stretch_json(body: bytes, events: int) -> bytes:
    """The body with its longest list of objects (the event history) cycled to ``events`` items."""
    data = json.loads(body)
    history = _longest_dict_list(data)
    if history is None:
        raise RuntimeError("no event list in the body")
    original = list(history)
    history[:] = [dict(original[i % len(original)]) for i in range(events)]
    return json.dumps(data).encode()


def stretch_xml(body: bytes, events: int) -> bytes:
    """The document with its longest run of same-tag siblings cycled to ``events`` elements."""
    root = ET.fromstring(body)
    best: ET.Element | None = None
    for element in root.iter():
        children = list(element)
        same_tag = len(children) > 1 and len({c.tag for c in children}) == 1
        if same_tag and (best is None or len(children) > len(best)):
            best = element
    if best is None:
        raise RuntimeError("no repeated element in the document")
    children = list(best)
    for child in children:
        best.remove(child)
    for i in range(events):
        best.append(copy.deepcopy(children[i % len(children)]))
    return bytes(ET.tostring(root, xml_declaration=True, encoding="utf-8"))


def is_xml(body: bytes) -> bool:
    return body.lstrip()[:1] == b"<"


def stretch(body: bytes, events: int) -> bytes:
    return stretch_xml(body, events) if is_xml(body) else stretch_json(body, events)


class Captured:
    """One adapter's tracking flow, driven by hand against its fake (no HTTP, no engine)."""

    def __init__(self, sandbox: Sandbox, client: Client, code: str) -> None:
        self.code = code
        self.fake = sandbox.fake(code)
        self.impl = client._carrier(code)
        self.number = self.impl.check_number(self.fake.scenario_numbers["delivered"])
        response = self._drive(None)
        self.request_path = response.request.url.path
        self.body = response.content
        self.status = response.status_code
        self.headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)}

    def _answer(self, request: httpx.Request) -> httpx.Response:
        response = self.fake.handle(request)
        response.read()
        response.request = request
        return response

    def _drive(self, body: bytes | None) -> httpx.Response:
        """Run one track flow; answer from the fake, or ``body`` for the tracking request."""
        flow = self.impl.track(self.number)
        request = next(flow)
        while True:
            if body is not None and request.url.path == self.request_path:
                response = httpx.Response(self.status, headers=self.headers, content=body, request=request)
            else:
                response = self._answer(request)
            try:
                request = flow.send(response)
            except StopIteration as stop:
                self.info = stop.value
                return response

    def warm(self, body: bytes) -> int:
        """Drive one flow with ``body`` untimed (tokens cached, modules imported); the events parsed."""
        self._drive(body)
        return len(self.info.events)

    def time_parse(self, body: bytes) -> float:
        """Seconds of one ``flow.send(tracking response)`` with ``body``."""
        flow = self.impl.track(self.number)
        request = next(flow)
        while request.url.path != self.request_path:  # an auth step the cache did not cover
            request = flow.send(self._answer(request))
        response = httpx.Response(self.status, headers=self.headers, content=body, request=request)
        start = time.perf_counter()
        with suppress(StopIteration):
            flow.send(response)
        return time.perf_counter() - start


def plain_walk(node: Any) -> Any:
    """What hand-written code does with a decoded body at least: visit every field once."""
    if isinstance(node, dict):
        return {k: plain_walk(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain_walk(v) for v in node]
    if isinstance(node, str):
        return node.strip()
    return node


def walked(carrier: str, number: str, wire: Any) -> TrackingInfo:
    """A stand-in for an adapter's ``to_tracking_info``: the baseline's walk over ``wire`` and a bare
    :class:`TrackingInfo`. Swapped in, it shows what the typed parse costs (a measurement only)."""
    plain_walk(wire)
    return TrackingInfo(carrier=carrier, tracking_number=number, status=TrackingStatus.UNKNOWN)


def xml_walk(root: ET.Element) -> list[tuple[str, str]]:
    return [(element.tag, (element.text or "").strip()) for element in root.iter()]


def baseline(body: bytes) -> Callable[[], object]:
    """The plain baseline for ``body``: ``json.loads`` (``ElementTree`` for XML) + the walk."""
    if is_xml(body):
        return lambda: xml_walk(ET.fromstring(body))
    return lambda: plain_walk(json.loads(body))


def time_parse_pair(captured: Captured, body: bytes, repeat: int) -> tuple[float, float, int]:
    """The adapter's flow and the baseline on ``body``, one body each in turn, ``repeat`` times:
    the median seconds per body of each, and the events the adapter parsed. Alternating single
    bodies and taking medians keeps the ratio from depending on which side ran in a busy moment
    (on a loaded machine a longer timed stretch is more often cut by another process)."""
    events = captured.warm(body)
    walk = baseline(body)
    walk()
    sdk: list[float] = []
    base: list[float] = []
    for _ in range(repeat):
        sdk.append(captured.time_parse(body))
        start = time.perf_counter()
        walk()
        base.append(time.perf_counter() - start)
    return statistics.median(sdk), statistics.median(base), events


def usps_templates(events: int) -> tuple[str, str]:
    """v3 and v3r2 bodies from the SDK's USPS fake, stretched, the number replaced by a placeholder."""
    from carrier_sdk_usps.fake import FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, UspsFake

    fake = UspsFake()
    base = fake.base_urls[0].rstrip("/")
    number = fake.scenario_numbers["delivered"]
    form = {"grant_type": "client_credentials", "client_id": FAKE_CLIENT_ID, "client_secret": FAKE_CLIENT_SECRET}
    token = fake.handle(httpx.Request("POST", base + "/oauth2/v3/token", data=form))
    token.read()
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    v3 = fake.handle(httpx.Request("GET", f"{base}/tracking/v3/tracking/{number}?expand=DETAIL", headers=auth))
    v3r2 = fake.handle(
        httpx.Request("POST", base + "/tracking/v3r2/tracking", json=[{"trackingNumber": number}], headers=auth)
    )
    out = []
    for response, body in ((v3, None), (v3r2, 0)):
        response.read()
        data = response.json()
        one = json.dumps(data if body is None else data[body]).encode()
        out.append(stretch_json(one, events).decode().replace(number, PLACEHOLDER))
    return out[0], out[1]


# -- the loopback server ------------------------------------------------------------------------

SERVER = r"""
import asyncio, json, sys
job = json.loads(sys.stdin.read())
LATENCY = job["latency"]
PH = job["placeholder"].encode()
V3 = job["v3"].encode()
V3R2 = job["v3r2"].encode()
TOKEN = json.dumps({"access_token": "bench-token", "token_type": "Bearer", "expires_in": 28799,
                    "status": "approved", "scope": "tracking", "issued_at": 0}).encode()
def reply(status, body, close):
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status, b"OK" if status == 200 else b"Not Found", len(body))
    return head + (b"connection: close\r\n\r\n" if close else b"\r\n") + body
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            method, target = lines[0].split(b" ")[:2]
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            payload = await reader.readexactly(length) if length else b""
            path = target.split(b"?", 1)[0]
            if path == b"/oauth2/v3/token":
                status, body = 200, TOKEN
            elif path.startswith(b"/tracking/v3/tracking/"):
                status, body = 200, V3.replace(PH, path.rsplit(b"/", 1)[1])
            elif path == b"/tracking/v3r2/tracking":
                numbers = [str(item["trackingNumber"]).encode() for item in json.loads(payload)]
                status, body = 200, b"[" + b",".join(V3R2.replace(PH, n) for n in numbers) + b"]"
            else:
                status, body = 404, b'{"error": {"code": "404", "message": "no route"}}'
            if LATENCY:
                await asyncio.sleep(LATENCY)
            writer.write(reply(status, body, close))
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


@contextmanager
def loopback_server(latency: float, v3: str, v3r2: str) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(json.dumps({"latency": latency, "placeholder": PLACEHOLDER, "v3": v3, "v3r2": v3r2}))
    proc.stdin.close()
    port = int(proc.stdout.readline())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


# -- bulk workloads -------------------------------------------------------------------------------


class Measured:
    def __init__(self, wall: float, cpu: float, count: int) -> None:
        self.wall, self.cpu, self.count = wall, cpu, count

    @property
    def cpu_per_number(self) -> float:
        return self.cpu / self.count


#: Timed runs of each bulk variant (``--rounds``); its wall time and CPU are the medians.
DEFAULT_ROUNDS = 3
ROUNDS = DEFAULT_ROUNDS
#: The batched (v3r2) variants run this many times as many rounds: 1,000 numbers are 29 POSTs and
#: a few tenths of a second, the shortest timings of the table and the ones runs disagreed on most.
BATCHED_ROUNDS = 5


def _median(runs: list[Measured]) -> Measured:
    return Measured(statistics.median(m.wall for m in runs), statistics.median(m.cpu for m in runs), runs[0].count)


def _rounds(api: str) -> int:
    return ROUNDS * BATCHED_ROUNDS if api == "v3r2" else ROUNDS


def measure(run: Callable[[], int], count: int, api: str = "v3") -> Measured:
    """``run`` timed :data:`ROUNDS` times (it must track ``count`` numbers each time; batched
    ``api`` runs :data:`BATCHED_ROUNDS` times as many): the medians."""
    runs = []
    for _ in range(_rounds(api)):
        cpu, wall = time.process_time(), time.perf_counter()
        done = run()
        runs.append(Measured(time.perf_counter() - wall, time.process_time() - cpu, count))
        if done != count:
            raise RuntimeError(f"tracked {done} of {count} numbers")
    return _median(runs)


async def measure_async(run: Callable[[], Awaitable[int]], count: int, api: str = "v3") -> Measured:
    """:func:`measure` for a coroutine function."""
    runs = []
    for _ in range(_rounds(api)):
        cpu, wall = time.process_time(), time.perf_counter()
        done = await run()
        runs.append(Measured(time.perf_counter() - wall, time.process_time() - cpu, count))
        if done != count:
            raise RuntimeError(f"tracked {done} of {count} numbers")
    return _median(runs)


def raw_token(client: httpx.Client) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    token = client.post("/oauth2/v3/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def raw_sync(base: str, numbers: list[str], warmup: list[str]) -> Measured:
    with httpx.Client(base_url=base) as client:
        headers = raw_token(client)

        def run(batch: list[str]) -> int:
            done = 0
            for number in batch:
                response = client.get(f"/tracking/v3/tracking/{number}", params={"expand": "DETAIL"}, headers=headers)
                response.raise_for_status()
                plain_walk(json.loads(response.content))
                done += 1
            return done

        run(warmup)
        return measure(lambda: run(numbers), len(numbers))


def raw_batches(base: str, numbers: list[str], warmup: list[str]) -> Measured:
    with httpx.Client(base_url=base) as client:
        headers = raw_token(client)

        def run(batch: list[str]) -> int:
            done = 0
            for i in range(0, len(batch), BATCH):
                body = [{"trackingNumber": n} for n in batch[i : i + BATCH]]
                response = client.post("/tracking/v3r2/tracking", json=body, headers=headers)
                response.raise_for_status()
                done += len(plain_walk(json.loads(response.content)))
            return done

        run(warmup)
        return measure(lambda: run(numbers), len(numbers), "v3r2")


def raw_async(base: str, numbers: list[str], warmup: list[str], aiohttp: bool) -> Measured:
    async def main() -> Measured:
        transport: httpx.AsyncBaseTransport | None = None
        if aiohttp:
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport()
        async with httpx.AsyncClient(base_url=base, transport=transport) as client:
            form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
            token = (await client.post("/oauth2/v3/token", data=form)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            semaphore = asyncio.Semaphore(CONCURRENCY)

            async def one(number: str) -> int:
                async with semaphore:
                    response = await client.get(
                        f"/tracking/v3/tracking/{number}", params={"expand": "DETAIL"}, headers=headers
                    )
                    response.raise_for_status()
                    plain_walk(json.loads(response.content))
                    return 1

            async def run() -> int:
                return sum(await asyncio.gather(*(one(n) for n in numbers)))

            await asyncio.gather(*(one(n) for n in warmup))
            return await measure_async(run, len(numbers))

    return asyncio.run(main())


def sdk_settings(base: str, api: str) -> dict[str, Any]:
    return {"usps": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": base, "tracking_api": api}}


def sdk_sync(base: str, numbers: list[str], warmup: list[str], api: str) -> Measured:
    with Client(settings=sdk_settings(base, api), rate_limits={"usps": None}) as client:

        def run(batch: list[str]) -> int:
            done = 0
            for result in client.track_many(batch, carrier="usps"):
                if not result.ok:
                    raise RuntimeError(f"{result.number}: {result.error!r}")
                done += 1
            return done

        run(warmup)
        return measure(lambda: run(numbers), len(numbers), api)


def sdk_async(
    base: str,
    numbers: list[str],
    warmup: list[str],
    api: str,
    backend: str,
    concurrency: int = CONCURRENCY,
    **options: Any,
) -> Measured:
    """``AsyncClient.track_many``; ``options`` go to the client (``instructions.py`` injects a clock)."""

    async def main() -> Measured:
        async with AsyncClient(
            settings=sdk_settings(base, api),
            rate_limits={"usps": None},
            http_backend=backend,  # type: ignore[arg-type]
            **options,
        ) as client:

            async def run(batch: list[str]) -> int:
                done = 0
                async for result in client.track_many(batch, carrier="usps", concurrency=concurrency):
                    if not result.ok:
                        raise RuntimeError(f"{result.number}: {result.error!r}")
                    done += 1
                return done

            await run(warmup)
            return await measure_async(lambda: run(numbers), len(numbers), api)

    return asyncio.run(main())


# -- the peer -------------------------------------------------------------------------------------


def peer_python(venv: Path) -> Path:
    """The peer venv's interpreter, creating or refreshing the venv when the pins changed."""
    python = venv / "bin" / "python"
    stamp = venv / "requirements-peer.sha256"
    digest = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    print(f"[compare] installing the peer into {venv} (benchmark-only) ...", file=sys.stderr, flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(PEER_REQUIREMENTS)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(digest + "\n")
    return python


def run_peer(python: Path, job: dict[str, Any]) -> dict[str, float]:
    proc = subprocess.run(
        [str(python), str(PEER_RUNNER)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"peer failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout)
    return result


# -- cold start -----------------------------------------------------------------------------------


def cold(python: str | Path, code: str, repeat: int) -> float:
    """Median wall seconds of a fresh interpreter running ``code`` (bytecode caching on)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    null = subprocess.DEVNULL  # karrio logs its start on stderr
    subprocess.run([str(python), "-c", code], check=True, env=env, stdout=null, stderr=null)  # warm caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(python), "-c", code], check=True, env=env, stdout=null, stderr=null)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- the report -----------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


class Report:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []  # values: str, float, bool or None

    def add(
        self,
        workload: str,
        baseline_name: str,
        baseline: float,
        sdk: float,
        *,
        goal: str,
        ratio: float | None = None,
        ratio_text: str | None = None,
        met: bool | None = None,
        unit: Callable[[float], str] = fmt_time,
    ) -> None:
        ratio = sdk / baseline if ratio is None else ratio
        self.rows.append(
            {
                "workload": workload,
                "baseline": baseline_name,
                "baseline_value": unit(baseline),
                "sdk_value": unit(sdk),
                "ratio": ratio,
                "ratio_text": ratio_text if ratio_text is not None else f"{ratio:.2f}",
                "goal": goal,
                "met": met,
            }
        )

    def print(self) -> None:
        header = ("workload", "baseline", "baseline value", "SDK value", "ratio", "goal", "met")
        lines = [
            (
                r["workload"],
                r["baseline"],
                r["baseline_value"],
                r["sdk_value"],
                r["ratio_text"],
                r["goal"],
                "" if r["met"] is None else ("yes" if r["met"] else "NO"),
            )
            for r in self.rows
        ]
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(["---", "---", "---:", "---:", "---:", "---", "---"]) + "|")
        for line in lines:
            print("| " + " | ".join(line) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not a measurement")
    parser.add_argument("--numbers", type=int, default=None, help="numbers per bulk run (default 1000)")
    parser.add_argument("--events", type=int, default=12, help="events per tracking history (default 12)")
    parser.add_argument("--latencies", type=float, nargs="+", default=None, help="ms (default 0 20)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help=f"timed runs of each bulk variant, medians (default {DEFAULT_ROUNDS}, --quick 1; batched variants "
        f"{BATCHED_ROUNDS} times as many)",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip karrio")
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_PEER_VENV)
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument(
        "--profile",
        choices=("sdk-sync", "sdk-async", "sdk-batched", "parse"),
        help="instead of the comparison: cProfile one SDK variant (0 ms) and print the top 30 by tottime",
    )
    parser.add_argument(
        "--only",
        choices=("parse", "aiohttp-parts"),
        help="instead of the comparison: the parse rows alone, 3 rounds (parse), or the AsyncClient "
        "aiohttp row taken apart: connection trace and error mapping switched off in turn, then the typed "
        "parse swapped for the walk (aiohttp-parts)",
    )
    parser.add_argument(
        "--observers", action="store_true", help="keep installed observation plugins (carrier-sdk-otel) on"
    )
    args = parser.parse_args(argv)
    if not args.observers:  # read at plugin discovery, which no client of this process did yet
        disabled = os.environ.get("CARRIER_SDK_DISABLE_PLUGINS", "")
        os.environ["CARRIER_SDK_DISABLE_PLUGINS"] = ",".join(filter(None, (disabled, "otel")))
    global ROUNDS
    ROUNDS = max(1, args.rounds) if args.rounds is not None else 1 if args.quick else DEFAULT_ROUNDS
    count = args.numbers or (40 if args.quick else 1000)
    latencies = args.latencies if args.latencies is not None else [0.0, 20.0]
    parse_events = 50
    parse_repeat = 20 if args.quick else 500
    cold_repeat = 1 if args.quick else 7

    from carrier_sdk_usps.fake import fake_impb

    numbers = [fake_impb(1000 + i) for i in range(count)]
    warmup = [fake_impb(900 + i) for i in range(min(20, count))]
    v3, v3r2 = usps_templates(args.events)
    measurements: dict[str, Any] = {
        "numbers": count,
        "events": args.events,
        "rounds": ROUNDS,
        "batched_rounds": ROUNDS * BATCHED_ROUNDS,
        "python": sys.version.split()[0],
    }

    if args.profile:
        return profile(args.profile, v3, v3r2, numbers, warmup, parse_events)
    if args.only == "parse":
        return parse_only(parse_events, parse_repeat)
    if args.only == "aiohttp-parts":
        return aiohttp_parts(v3, v3r2, numbers, warmup, latencies, rounds=1 if args.quick else 3)

    peer: Path | None = None
    if not args.no_peer:
        peer = peer_python(args.peer_venv)

    report = Report()

    # Parsing -------------------------------------------------------------------------------------
    sandbox = Sandbox()
    parse: dict[str, dict[str, float]] = {}
    with Client(sandbox=sandbox) as client:
        for code in sandbox.codes:
            captured = Captured(sandbox, client, code)
            body = stretch(captured.body, parse_events)
            sdk_s, base_s, events = time_parse_pair(captured, body, parse_repeat)
            parse[code] = {"sdk": sdk_s, "baseline": base_s, "events": events, "bytes": len(body)}
            if code == "usps":
                parse_number, usps_body = captured.number, body
    measurements["parse"] = parse
    peer_parse: dict[str, float] = {}
    if peer is not None and "usps" in parse:
        peer_parse = run_peer(
            peer,
            {
                "parse_body": usps_body.decode(),
                "parse_number": parse_number,
                "parse_repeat": max(5, parse_repeat // 5),
            },
        )
        measurements["peer_parse"] = peer_parse
    for code, row in parse.items():
        walk = "ElementTree + walk" if code == "singpost" else "json.loads + walk"
        report.add(
            f"parse one {parse_events}-event body, {code} ({row['events']:.0f} events, {row['bytes'] / 1024:.0f} KiB)",
            walk,
            row["baseline"],
            row["sdk"],
            goal="≤ 2x",
            met=row["sdk"] / row["baseline"] <= 2,
        )
    if peer_parse:
        karrio_s = peer_parse["parse_s"]
        report.add(
            f"parse one {parse_events}-event body, usps, against karrio's mapper ({peer_parse['parse_events']:.0f} events)",
            "karrio",
            karrio_s,
            parse["usps"]["sdk"],
            goal="≥ 8x faster",
            ratio=karrio_s / parse["usps"]["sdk"],
            met=karrio_s / parse["usps"]["sdk"] >= 8,
        )

    # Bulk ----------------------------------------------------------------------------------------
    bulk: dict[str, dict[str, Measured]] = {}
    for latency_ms in latencies:
        runs: dict[str, Measured] = {}
        with loopback_server(latency_ms / 1000, v3, v3r2) as base:
            runs["raw httpx sync loop"] = raw_sync(base, numbers, warmup)
            runs["raw httpx async"] = raw_async(base, numbers, warmup, aiohttp=False)
            runs["raw httpx-aiohttp"] = raw_async(base, numbers, warmup, aiohttp=True)
            runs["raw v3r2 batch loop"] = raw_batches(base, numbers, warmup)
            runs["Client.track_many v3"] = sdk_sync(base, numbers, warmup, "v3")
            runs["AsyncClient httpx v3"] = sdk_async(base, numbers, warmup, "v3", "httpx")
            runs["AsyncClient aiohttp v3"] = sdk_async(base, numbers, warmup, "v3", "aiohttp")
            if latency_ms:  # in-flight requests bound the wall time once requests wait
                runs["AsyncClient aiohttp v3 @32"] = sdk_async(base, numbers, warmup, "v3", "aiohttp", 32)
            runs["Client.track_many v3r2"] = sdk_sync(base, numbers, warmup, "v3r2")
            runs["AsyncClient aiohttp v3r2"] = sdk_async(base, numbers, warmup, "v3r2", "aiohttp")
            if peer is not None:
                result = run_peer(peer, {"base_url": base, "numbers": numbers, "warmup": warmup[:2]})
                if result["tracked"] != count:
                    raise RuntimeError(f"karrio tracked {result['tracked']} of {count}")
                runs["karrio"] = Measured(result["bulk_wall"], result["bulk_cpu"], count)
        bulk[f"{latency_ms:g} ms"] = runs
    measurements["bulk"] = {
        lat: {name: {"wall": m.wall, "cpu": m.cpu, "cpu_per_number": m.cpu_per_number} for name, m in runs.items()}
        for lat, runs in bulk.items()
    }

    def cpu_row(lat: str, sdk: str, base: str, goal: str, limit: float) -> None:
        if lat not in bulk:
            return
        s, b = bulk[lat][sdk].cpu_per_number, bulk[lat][base].cpu_per_number
        report.add(f"{sdk}, client CPU per number, {lat}", base, b, s, goal=goal, met=s / b <= limit)

    def wall_row(lat: str, sdk: str, base: str, goal: str, limit: float) -> None:
        if lat not in bulk or base not in bulk[lat]:
            return
        s, b = bulk[lat][sdk].wall, bulk[lat][base].wall
        report.add(f"{sdk}, wall for {count} numbers, {lat}", base, b, s, goal=goal, ratio=b / s, met=b / s >= limit)

    for lat in bulk:
        cpu_row(lat, "Client.track_many v3", "raw httpx sync loop", "≤ 1.25x (at 0 ms)", 1.25)
        cpu_row(lat, "AsyncClient httpx v3", "raw httpx async", "", float("inf"))
        cpu_row(lat, "AsyncClient aiohttp v3", "raw httpx-aiohttp", "≤ 1.1x", 1.1)
        cpu_row(lat, "Client.track_many v3r2", "raw v3r2 batch loop", "≤ 2x", 2)
        cpu_row(lat, "AsyncClient aiohttp v3r2", "raw v3r2 batch loop", "≤ 2x", 2)
    for lat in bulk:
        if lat != "0 ms":
            wall_row(lat, "Client.track_many v3", "raw httpx sync loop", "≥ 7x faster", 7)
            wall_row(lat, "AsyncClient aiohttp v3", "karrio", "≥ 5x faster", 5)
            wall_row(lat, "AsyncClient aiohttp v3 @32", "karrio", "≥ 5x faster", 5)
            wall_row(lat, "AsyncClient aiohttp v3r2", "karrio", "≥ 12x faster", 12)
            wall_row(lat, "Client.track_many v3r2", "karrio", "≥ 12x faster", 12)
    for line in report.rows:  # a goal stated for 0 ms only is informative at other latencies
        if line["goal"] == "≤ 1.25x (at 0 ms)" and not line["workload"].endswith(", 0 ms"):
            line["goal"] = ""
        if line["goal"] == "":
            line["met"] = None

    # Cold start ----------------------------------------------------------------------------------
    here = sys.executable
    starts: dict[str, float] = {}
    starts["import httpx"] = cold(here, "import httpx", cold_repeat)
    starts["import carrier_sdk"] = cold(here, "import carrier_sdk", cold_repeat)
    # With the [cli] extra installed, `import httpx` also imports click, rich and pygments (its
    # httpx._main); both sides pay that. Without it (click made unimportable, as if not installed):
    no_cli = "import sys; sys.modules['click'] = None; "
    starts["import httpx (no click)"] = cold(here, no_cli + "import httpx", cold_repeat)
    starts["import carrier_sdk (no click)"] = cold(here, no_cli + "import carrier_sdk", cold_repeat)
    with loopback_server(0, v3, v3r2) as base:
        starts["import httpx + one GET"] = cold(
            here,
            f"import httpx; httpx.get({base + '/tracking/v3/tracking/' + numbers[0]!r}).raise_for_status()",
            cold_repeat,
        )
    sandbox_number = Sandbox().fake("usps").scenario_numbers["delivered"] if "usps" in sandbox.codes else None
    if sandbox_number:
        starts["Client(sandbox) + carriers() + track"] = cold(
            here,
            "import carrier_sdk; c = carrier_sdk.Client(sandbox=True); c.carriers(); "
            f"assert c.track({sandbox_number!r}).events",
            cold_repeat,
        )
    if peer is not None:
        starts["karrio: import karrio.sdk + USPS"] = cold(
            peer, "import karrio.sdk, karrio.mappers.usps, karrio.providers.usps.tracking", cold_repeat
        )
    measurements["cold"] = starts
    extra = starts["import carrier_sdk"] - starts["import httpx"]
    report.add(
        "cold `import carrier_sdk` (difference to `import httpx`)",
        "import httpx",
        starts["import httpx"],
        starts["import carrier_sdk"],
        goal="≤ httpx + 40 ms",
        ratio_text=f"+{extra * 1e3:.0f} ms",
        met=extra <= 0.040,
    )
    report.add(
        "cold `import carrier_sdk` without click/rich (httpx's cli not importable)",
        "import httpx",
        starts["import httpx (no click)"],
        starts["import carrier_sdk (no click)"],
        goal="",
        ratio_text=f"+{(starts['import carrier_sdk (no click)'] - starts['import httpx (no click)']) * 1e3:.0f} ms",
    )
    if "karrio: import karrio.sdk + USPS" in starts:
        report.add(
            "cold import, karrio + USPS mapper against `import carrier_sdk`",
            "karrio",
            starts["karrio: import karrio.sdk + USPS"],
            starts["import carrier_sdk"],
            goal="",
            ratio=starts["karrio: import karrio.sdk + USPS"] / starts["import carrier_sdk"],
        )
    if "Client(sandbox) + carriers() + track" in starts:
        s, b = starts["Client(sandbox) + carriers() + track"], starts["import httpx + one GET"]
        report.add(
            "fresh process: `Client()` + `carriers()` + one sandbox `track`",
            "import httpx + one GET",
            b,
            s,
            goal="≤ 1.5x",
            met=s / b <= 1.5,
        )

    # Output --------------------------------------------------------------------------------------
    print(
        f"carrier-sdk compare: {count} numbers, {args.events} events each, latencies {latencies} ms, "
        f"concurrency {CONCURRENCY}, v3r2 batches of {BATCH}, Python {measurements['python']}, "
        f"{os.cpu_count()} CPUs, observers {'on' if args.observers else 'off'}"
    )
    print()
    print("Raw measurements (wall for all numbers; client CPU per number):")
    for lat, runs in bulk.items():
        for name, m in runs.items():
            print(f"  {lat:>5}  {name:28s} wall {m.wall:7.3f} s   CPU/number {m.cpu_per_number * 1e3:7.3f} ms")
    for code, row in parse.items():
        print(f"  parse {code:9s} sdk {row['sdk'] * 1e6:7.0f} µs   baseline {row['baseline'] * 1e6:7.0f} µs")
    if peer_parse:
        print(f"  parse usps      karrio {peer_parse['parse_s'] * 1e6:7.0f} µs")
    for name, seconds in starts.items():
        print(f"  cold  {name:40s} {seconds * 1e3:7.0f} ms")
    print()
    report.print()
    measurements["table"] = report.rows
    if args.json:
        args.json.write_text(json.dumps(measurements, indent=2, default=str))
    return 0


def output_floor(body: bytes, info: TrackingInfo) -> Callable[[], TrackingInfo]:
    """What no parser of ``body`` into typed models can skip, as one call: decoding the body as the
    baseline does, then building the very models the adapter built, from values already read
    (each event's instant from its ISO text, its ``Location``, the event, the ``TrackingInfo``).
    Reading the wire fields, checking them and mapping codes are left out: the floor of a parse."""
    decode: Callable[[], object] = (lambda: ET.fromstring(body)) if is_xml(body) else (lambda: json.loads(body))
    events = [
        (
            event.occurred_at.isoformat(),
            attrs.asdict(event.location) if event.location else None,
            {f.name: getattr(event, f.name) for f in attrs.fields(TrackingEvent)},
        )
        for event in info.events
    ]
    fields = {f.name: getattr(info, f.name) for f in attrs.fields(TrackingInfo) if f.init}
    read_instant, parsed = datetime.fromisoformat, TrackingEvent._parsed

    def build() -> TrackingInfo:
        decode()
        built = []
        for instant, location, values in events:
            values = {**values, "occurred_at": read_instant(instant)}
            values["location"] = Location(**location) if location else None
            built.append(parsed(**values))
        return TrackingInfo(**{**fields, "events": built})

    if build() != info:
        raise AssertionError("the floor did not rebuild what the adapter parsed")
    return build


def parse_only(events: int, repeat: int, rounds: int = 3) -> int:
    """The parse rows alone: each adapter against its baseline, ``rounds`` times; the median ratio,
    and the floor (:func:`output_floor`) against the same baseline."""
    sandbox = Sandbox()
    with Client(sandbox=sandbox) as client:
        for code in sandbox.codes:
            captured = Captured(sandbox, client, code)
            body = stretch(captured.body, events)
            runs = [time_parse_pair(captured, body, repeat) for _ in range(rounds)]
            ratios = [sdk_s / base_s for sdk_s, base_s, _ in runs]
            floor, walk = output_floor(body, captured.info), baseline(body)
            floors = [median_of_pair(floor, walk, repeat) for _ in range(rounds)]
            print(
                f"parse {code:9} {runs[0][2]} events: ratio {statistics.median(ratios):.2f} "
                f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}), "
                f"sdk {statistics.median(r[0] for r in runs) * 1e6:.0f} µs, "
                f"baseline {statistics.median(r[1] for r in runs) * 1e6:.0f} µs; "
                f"floor {statistics.median(floors):.2f}x the baseline"
            )
    return 0


def median_of_pair(first: Callable[[], object], second: Callable[[], object], repeat: int) -> float:
    """The ratio of the medians of ``first`` and ``second``, run alternately ``repeat`` times."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, into in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return statistics.median(times[0]) / statistics.median(times[1])


def aiohttp_parts(
    v3: str, v3r2: str, numbers: list[str], warmup: list[str], latencies: list[float], rounds: int
) -> int:
    """``AsyncClient`` over aiohttp against raw httpx-aiohttp, with the SDK's transport additions
    switched off in turn: aiohttp's connection trace (the evidence that a request was never sent),
    then also the wrapper that maps aiohttp's failures onto httpx's meaning. Last, the SDK as it is
    but with the typed parse swapped for the baseline's own walk (``json.loads`` stays the SDK's
    strict decoder; the flow returns a bare ``TrackingInfo``): what reading the body into checked,
    typed models costs beside the rest of the engine. A measurement of what those guarantees cost,
    not a configuration: all are private and always on in the SDK."""
    import carrier_sdk_usps._mapping as usps_mapping

    import carrier_sdk._client as client_module
    from carrier_sdk import _transports

    real = _transports._async_transport

    def untraced_session(self: Any) -> Any:
        import aiohttp

        connector = aiohttp.TCPConnector(keepalive_timeout=self.limits.keepalive_expiry, ssl=self.ssl_context)
        return aiohttp.ClientSession(connector=connector)

    def transport(mode: str) -> Callable[[str], Any]:
        def make(backend: str) -> Any:
            compat = real(backend)
            if mode == "traced":
                return compat
            compat.inner.traced = False
            compat.inner.get_client = untraced_session.__get__(compat.inner)
            return compat if mode == "untraced" else compat.inner

        return make

    typed = usps_mapping.to_tracking_info

    variants = {
        "traced": ("traced", typed),
        "untraced": ("untraced", typed),
        "untraced, unmapped": ("bare", typed),
        "traced, the walk for the typed parse": ("traced", walked),
    }
    for latency_ms in latencies:
        cpu: dict[str, list[float]] = {name: [] for name in ("raw httpx-aiohttp", *variants)}
        with loopback_server(latency_ms / 1000, v3, v3r2) as base:
            try:
                for _ in range(rounds):
                    cpu["raw httpx-aiohttp"].append(raw_async(base, numbers, warmup, aiohttp=True).cpu_per_number)
                    for name, (mode, parse) in variants.items():
                        client_module._async_transport = transport(mode)
                        usps_mapping.to_tracking_info = parse
                        cpu[name].append(sdk_async(base, numbers, warmup, "v3", "aiohttp").cpu_per_number)
            finally:
                client_module._async_transport = real
                usps_mapping.to_tracking_info = typed
        raw_cpu = statistics.median(cpu["raw httpx-aiohttp"])
        for name, values in cpu.items():
            label = name if name.startswith("raw") else f"AsyncClient aiohttp, {name}"
            print(
                f"{latency_ms:4g} ms  {label:42} CPU/number {fmt_time(statistics.median(values)):>9}  "
                f"ratio {statistics.median(values) / raw_cpu:.2f}"
            )
    return 0


def profile(which: str, v3: str, v3r2: str, numbers: list[str], warmup: list[str], events: int) -> int:
    """cProfile one variant at 0 ms latency (the loopback server runs in its own process)."""
    profiler = cProfile.Profile()
    with loopback_server(0, v3, v3r2) as base:
        if which == "parse":
            sandbox = Sandbox()
            with Client(sandbox=sandbox) as client:
                captured = Captured(sandbox, client, "usps")
                body = stretch(captured.body, events)
                captured.warm(body)
                profiler.enable()
                for _ in range(600):
                    captured.time_parse(body)
                profiler.disable()
        elif which == "sdk-sync":
            # cProfile sees one thread only: profile the engine's per-request path through
            # Client.track in this thread (track_many runs the same path in its worker threads).
            with Client(settings=sdk_settings(base, "v3"), rate_limits={"usps": None}) as client:
                for number in warmup:
                    client.track(number, carrier="usps")
                profiler.enable()
                for number in numbers:
                    client.track(number, carrier="usps")
                profiler.disable()
        else:
            api = "v3r2" if which == "sdk-batched" else "v3"

            async def main() -> None:
                async with AsyncClient(settings=sdk_settings(base, api), rate_limits={"usps": None}) as client:
                    [r async for r in client.track_many(warmup, carrier="usps")]
                    profiler.enable()
                    [r async for r in client.track_many(numbers, carrier="usps")]
                    profiler.disable()

            asyncio.run(main())
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(30)
    if os.environ.get("COMPARE_PROFILE_CUMULATIVE"):
        stats.sort_stats("cumulative").print_stats(os.environ["COMPARE_PROFILE_CUMULATIVE"], 40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
