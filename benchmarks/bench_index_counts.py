"""What counting the codebook's codes adds to the index build: the build of one package with the
counting as shipped and with it stubbed out (CodeUseBuilder.add a no-op), in fresh child
processes, alternating, side by side.

    python benchmarks/bench_index_counts.py PACKAGE --workdir DIR [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, shutil, sys, time
from pathlib import Path
import openstrikes.index.code_use as code_use
from openstrikes.index.build import build_index
from openstrikes.package.reader import read_package
package, target, stub = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
if stub:
    code_use.CodeUseBuilder.add = lambda self, event: None
info = read_package(package, verify=False)
target.unlink(missing_ok=True)
t0 = time.perf_counter()
build_index(package, info, target)
print(json.dumps({"build_s": time.perf_counter() - t0, "bytes": target.stat().st_size}))
target.unlink()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("package", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "index-counts-bench")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    target = args.workdir / "index.sqlite"
    runs: dict[str, list[float]] = {"counting": [], "stubbed": []}
    for r in range(args.rounds):
        for name in ("counting", "stubbed") if r % 2 == 0 else ("stubbed", "counting"):
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(args.package),
                    str(target),
                    "1" if name == "stubbed" else "0",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                sys.exit(done.stderr[-2000:])
            res = json.loads(done.stdout.strip().splitlines()[-1])
            runs[name].append(float(res["build_s"]))
            print(f"  round {r + 1} {name}: {res['build_s']:.2f} s, {res['bytes']} bytes")
    a, b = statistics.median(runs["counting"]), statistics.median(runs["stubbed"])
    print(f"index build median: counting {a:.2f} s, stubbed {b:.2f} s, counting/stubbed {a / b:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
