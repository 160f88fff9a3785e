"""Peak memory of ``carrier-sdk track --sandbox --file`` for 10k and 100k numbers.

Flat memory means the 100k run peaks at about the same RSS as the 10k run (ratio ~1): the CLI
streams the file line by line through ``Client.track_many``, writes each result and drops it.

Each run is a fresh subprocess (``python -m carrier_sdk.cli``), measured with ``os.wait4``,
which returns the resource usage of that one child (``ru_maxrss``: its peak RSS, KiB on
Linux). A run of ``carriers --json`` gives the interpreter + SDK baseline.

Reproduce (from the repository root, with the plugins installed):

    .venv/bin/python benchmarks/bulk_memory.py            # 10k and 100k
    .venv/bin/python benchmarks/bulk_memory.py --sizes 1000 10000 100000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from carrier_sdk import Client
from carrier_sdk.cli._numbers import generate_numbers


def write_numbers(path: Path, count: int, seed: int) -> None:
    """``count`` valid numbers across the installed carriers, one per line (streamed)."""
    registry = Client().registry
    with path.open("w", encoding="utf-8") as f:
        for number in generate_numbers(registry, count, seed=seed):
            f.write(number + "\n")


def measure(args: list[str]) -> tuple[float, float, int]:
    """Run the CLI once: (seconds, peak RSS in MiB, exit code)."""
    command = [sys.executable, "-m", "carrier_sdk.cli", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: some numbers failed (the fakes' "unknown" scenarios)
        sys.stderr.write(stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}")
    peak_kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return elapsed, peak_kib / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args()

    rows = []
    seconds, baseline, _ = measure(["--sandbox", "carriers", "--json"])
    rows.append({"numbers": 0, "command": "carriers", "seconds": round(seconds, 2), "peak_rss_mib": round(baseline, 1)})
    with tempfile.TemporaryDirectory() as tmp:
        for size in options.sizes:
            path = Path(tmp) / f"numbers-{size}.txt"
            write_numbers(path, size, options.seed)
            seconds, peak, code = measure(
                ["track", "--sandbox", "--json", "--concurrency", str(options.concurrency), "--file", str(path)]
            )
            rows.append(
                {
                    "numbers": size,
                    "command": "track --file",
                    "seconds": round(seconds, 2),
                    "numbers_per_second": round(size / seconds),
                    "peak_rss_mib": round(peak, 1),
                    "exit_code": code,
                }
            )
    tracked = [r for r in rows if r["numbers"]]
    ratio = tracked[-1]["peak_rss_mib"] / tracked[0]["peak_rss_mib"] if len(tracked) > 1 else 1.0
    if options.json:
        print(json.dumps({"runs": rows, "peak_rss_ratio_largest_to_smallest": round(ratio, 3)}, indent=2))
        return
    print(f"{'numbers':>8}  {'command':<13} {'seconds':>8} {'numbers/s':>10} {'peak RSS MiB':>13}")
    for r in rows:
        rate = r.get("numbers_per_second", "")
        print(f"{r['numbers']:>8}  {r['command']:<13} {r['seconds']:>8} {rate!s:>10} {r['peak_rss_mib']:>13}")
    if len(tracked) > 1:
        print(
            f"peak RSS ratio {tracked[-1]['numbers']}/{tracked[0]['numbers']}: {ratio:.2f} "
            f"(flat memory: ~1; baseline without tracking: {baseline:.1f} MiB)"
        )


if __name__ == "__main__":
    main()
