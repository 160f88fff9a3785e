"""carrier-sdk beside the raw baselines, counted in CPU instructions instead of timed.

Reproduce (from the repository root, after the README's install line; needs ``valgrind``, from
the Debian package of that name)::

    .venv/bin/python benchmarks/instructions.py                # every workload below (about 3.5 minutes)
    .venv/bin/python benchmarks/instructions.py --only aiohttp # one group: aiohttp, sync, batched, parse or import
    .venv/bin/python benchmarks/instructions.py --json out.json

Why: ``compare.py`` times client CPU, which is the goal's unit, but on a shared 2-core machine a
run's ratios move by 0.1x and more between rounds, more than most of what is left to find. The
instructions a workload executes hardly move at all: each variant here runs twice under
valgrind's cachegrind (``--cache-sim=no``: instruction counting only), with few and with many
numbers (or bodies), and the difference divided by the difference in count is its instructions
per number, with interpreter start-up, imports and warm-up cancelled out. Two runs of the same
variant agree to within about 0.5% (the raw loops to 0.1%).

Instructions are not time: code that allocates more, or jumps about memory more, takes longer per
instruction. The timed ratios stay ``compare.py``'s; these say how much of a timed gap is work the
SDK does and how much is the machine, and they show a 1% change that a timed run cannot.

Workloads, each against the same loopback server as ``compare.py`` (a child process, not counted)
and with the same bodies (USPS v3, 12 events), at 0 ms latency:

- ``aiohttp``: raw httpx-aiohttp against ``AsyncClient`` over aiohttp, and the same client with,
  in turn, the typed parse swapped for the baseline's walk, an injected clock (a clock that is not
  ``time.monotonic`` cannot arm an asyncio timer, so the call deadline's timer is off), the body
  reader (cap, decoding checks) replaced by httpx's own read, and all three. The last three are a
  measurement of what the guarantees cost, not a configuration;
- ``sync``: the plain ``httpx.Client`` loop against ``Client.track_many`` (v3);
- ``batched``: the raw v3r2 batch loop against ``Client`` and ``AsyncClient`` (aiohttp) batched;
- ``parse``: each installed adapter's tracking flow on one 50-event body (``flow.send``, the flows
  built beforehand in both runs) against ``json.loads`` (ElementTree for XML) + the plain walk,
  and ``compare.output_floor`` (decoding, then building the same typed models from values read
  beforehand: what no parse into these models can skip) against the same baseline;
- ``import``: a fresh interpreter that runs ``import httpx``, against one that runs ``import
  carrier_sdk`` (the whole run each, bytecode caches written by a run before): the goal's
  "httpx + 40 ms" as instructions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: (group, variant) -> what the variant is, and the baseline its ratio is taken against.
VARIANTS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("aiohttp", "raw"): ("raw httpx-aiohttp", None),
    ("aiohttp", "sdk"): ("AsyncClient aiohttp v3", "raw"),
    ("aiohttp", "walk"): ("  the walk for the typed parse", "raw"),
    ("aiohttp", "clock"): ("  injected clock: no deadline timer", "raw"),
    ("aiohttp", "read"): ("  httpx's read for the body reader", "raw"),
    ("aiohttp", "all"): ("  all three", "raw"),
    ("sync", "raw"): ("raw httpx sync loop", None),
    ("sync", "sdk"): ("Client.track_many v3", "raw"),
    ("batched", "raw"): ("raw v3r2 batch loop", None),
    ("batched", "sdk"): ("Client.track_many v3r2", "raw"),
    ("batched", "async"): ("AsyncClient aiohttp v3r2", "raw"),
    ("import", "raw"): ("cold `import httpx`", None),
    ("import", "sdk"): ("cold `import carrier_sdk`", "raw"),
}
#: What a fresh interpreter runs for each ``import`` variant (the whole run is counted).
IMPORTS = {"raw": "import httpx", "sdk": "import carrier_sdk"}
GROUPS = ("aiohttp", "sync", "batched", "parse", "import")
#: Numbers (bodies for ``parse``) of the small and the large run of each variant.
COUNTS = {"aiohttp": (100, 600), "sync": (100, 600), "batched": (140, 1190), "parse": (20, 120)}


# -- the child: one variant, run once, under valgrind --------------------------------------------


def child(group: str, variant: str, count: int) -> None:
    sys.path.insert(0, str(HERE))
    import compare

    compare.ROUNDS = compare.BATCHED_ROUNDS = 1  # one timed run: the count is what matters here
    if group == "parse":
        return child_parse(compare, variant, count)
    from carrier_sdk_usps.fake import fake_impb

    # Both runs make the numbers of the large one (making one computes its check digit): only
    # what is done with them differs.
    numbers = [fake_impb(1000 + i) for i in range(COUNTS[group][1])][:count]
    warmup = [fake_impb(900 + i) for i in range(20)]
    v3, v3r2 = compare.usps_templates(12)
    if group == "aiohttp" and variant in ("walk", "all"):
        import carrier_sdk_usps._mapping as usps_mapping

        usps_mapping.to_tracking_info = compare.walked
    if group == "aiohttp" and variant in ("read", "all"):
        from carrier_sdk._engine import AsyncEngine

        async def httpx_read(self: Any, carrier: Any, options: Any, request: Any) -> Any:
            return await self._http.send(request)

        AsyncEngine._read = httpx_read  # type: ignore[method-assign]
    options: dict[str, Any] = {}
    if group == "aiohttp" and variant in ("clock", "all"):
        options["clock"] = lambda: time.monotonic()
    with compare.loopback_server(0, v3, v3r2) as base:
        if group == "aiohttp":
            if variant == "raw":
                compare.raw_async(base, numbers, warmup, aiohttp=True)
            else:
                compare.sdk_async(base, numbers, warmup, "v3", "aiohttp", **options)
        elif group == "sync":
            if variant == "raw":
                compare.raw_sync(base, numbers, warmup)
            else:
                compare.sdk_sync(base, numbers, warmup, "v3")
        elif variant == "raw":
            compare.raw_batches(base, numbers, warmup)
        elif variant == "sdk":
            compare.sdk_sync(base, numbers, warmup, "v3r2")
        else:
            compare.sdk_async(base, numbers, warmup, "v3r2", "aiohttp")
    return None


def child_parse(compare: Any, variant: str, count: int) -> None:
    """``variant`` is ``"<code>:sdk"`` or ``"<code>:baseline"``. The SDK side builds the flows and
    responses of the large run in both runs, so only ``flow.send`` differs between them."""
    from contextlib import suppress

    import httpx

    from carrier_sdk import Client
    from carrier_sdk.sandbox import Sandbox

    code, side = variant.split(":")
    sandbox = Sandbox()
    with Client(sandbox=sandbox) as client:
        captured = compare.Captured(sandbox, client, code)
        body = compare.stretch(captured.body, 50)
        captured.warm(body)
        if side in ("baseline", "floor"):
            run = compare.baseline(body) if side == "baseline" else compare.output_floor(body, captured.info)
            run()
            for _ in range(count):
                run()
            return
        pending = []
        for _ in range(COUNTS["parse"][1]):
            flow = captured.impl.track(captured.number)
            request = next(flow)
            while request.url.path != captured.request_path:
                request = flow.send(captured._answer(request))
            response = httpx.Response(captured.status, headers=captured.headers, content=body, request=request)
            pending.append((flow, response))
        for flow, response in pending[:count]:
            with suppress(StopIteration):
                flow.send(response)


# -- the parent ----------------------------------------------------------------------------------

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def prepare() -> None:
    """Write the bytecode caches of the SDK, the adapters and the benchmarks before anything is
    counted: a run that compiles a module it then caches would count the compiling, once."""
    import compileall

    for folder in ("carrier_sdk", "plugins", "benchmarks"):
        compileall.compile_dir(HERE.parent / folder, quiet=2)


def instructions(group: str, variant: str, count: int) -> int:
    """Instructions of one child run under cachegrind (hash seed fixed: same dict layouts each run);
    for ``import``, of a fresh interpreter running only that import, from the repository root."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "CARRIER_SDK_DISABLE_PLUGINS": "otel"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # runs read cached bytecode (see prepare), as compare.py's cold ones do
    script = (
        ["-c", IMPORTS[variant]]
        if group == "import"
        else [str(Path(__file__).resolve()), "--child", group, variant, str(count)]
    )
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        *script,
    ]
    done = subprocess.run(command, env=env, cwd=HERE.parent, capture_output=True, text=True, check=False)
    match = _REFS.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"{group}/{variant} x{count} failed:\n{done.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def per_unit(group: str, variant: str) -> float:
    if group == "import":
        return instructions(group, variant, 1)
    small, large = COUNTS[group]
    return (instructions(group, variant, large) - instructions(group, variant, small)) / (large - small)


def parse_variants() -> dict[tuple[str, str], tuple[str, str | None]]:
    from carrier_sdk.sandbox import Sandbox

    variants: dict[tuple[str, str], tuple[str, str | None]] = {}
    for code in Sandbox().codes:
        walk = "ElementTree + walk" if code == "singpost" else "json.loads + walk"
        variants[("parse", f"{code}:baseline")] = (f"{code}: {walk}", None)
        variants[("parse", f"{code}:floor")] = ("  the floor (compare.output_floor)", f"{code}:baseline")
        variants[("parse", f"{code}:sdk")] = (f"{code}: the tracking flow", f"{code}:baseline")
    return variants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=GROUPS, action="append", help="one group (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs=3, metavar=("GROUP", "VARIANT", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        group, variant, count = args.child
        child(group, variant, int(count))
        return 0
    if shutil.which("valgrind") is None:
        print("instructions.py needs valgrind (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    groups = args.only or list(GROUPS)
    variants = {key: value for key, value in VARIANTS.items() if key[0] in groups}
    if "parse" in groups:
        variants.update(parse_variants())
    prepare()
    with ThreadPoolExecutor(max_workers=2) as pool:  # counts do not depend on what else runs
        counted = dict(zip(variants, pool.map(lambda key: per_unit(*key), variants), strict=True))
    print(f"{'workload':44} {'instructions':>14} {'ratio':>7}")
    rows = []
    for (group, variant), (label, against) in variants.items():
        value = counted[(group, variant)]
        unit = {"parse": "body", "import": "run"}.get(group, "number")
        ratio = value / counted[(group, against)] if against else None
        rows.append(
            {
                "group": group,
                "variant": variant,
                "label": label.strip(),
                "per": unit,
                "instructions": value,
                "ratio": ratio,
            }
        )
        shown = f"{ratio:7.3f}" if ratio is not None else " " * 7
        print(f"{label:44} {value / 1e3:9.0f} k/{unit[0]} {shown}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
