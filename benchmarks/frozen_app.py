"""The installed (frozen) app against a source checkout: sizes, window start-up and the CLI's first convert.

    python -m benchmarks.frozen_app [--bundle build/linux/dist/pixlcraft] [--addon DIR] [--runs 5]

* Sizes: the .deb and .tar.gz in dist/ (the download), the bundle folder (installed), and, with ``--addon``, an
  installed AI add-on folder (made by ``pixlcraft addon install``) and the wheels it came from.
* Window: launch → first paint of ``pixlcraft-app`` (its ``PIXLCRAFT_STARTUP_PROBE`` prints the moment of the
  first paint event and exits). "First launch" is a fresh home folder with the OS file cache dropped where
  this process may (root on Linux), so the bundle's files are read from disk; "warm" is the median of later
  launches. The same for ``python main.py`` from the source checkout.
* CLI: ``pixlcraft convert`` of the bundled astronaut photo at 200 cells wide with the full DMC palette: the
  first run with an empty cache (numba compiles every kernel) and the second (numba loads them), as whole
  processes, frozen and from source.

Goals (issue 9): first paint ≤ 2 s warm and ≤ 4 s on the very first launch; first convert ≤ 10 s; second ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def _drop_file_cache() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": "offscreen", "PIXLCRAFT_STARTUP_PROBE": "1",
           "PIXLCRAFT_CONFIG_DIR": str(home / "config"), "PIXLCRAFT_AUTOSAVE_DIR": str(home / "autosave")}
    env.update(extra)
    return env


def first_paint(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.time()
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)["painted"] - start
    raise RuntimeError(f"no first paint from {command[0]} (exit {proc.returncode}): {proc.stderr[-1500:]}")


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def window(label: str, command: list[str], cwd: Path, runs: int, extra_env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        dropped = _drop_file_cache()
        first = first_paint(command, _env(Path(tmp), **extra_env), cwd)
        warm = [first_paint(command, _env(Path(tmp), **extra_env), cwd) for _ in range(runs)]
    note = "" if dropped else " (file cache not dropped: run as root for a true first launch)"
    print(f"{label}: first launch {first:.2f} s{note}; warm median {statistics.median(warm):.2f} s "
          f"(min {min(warm):.2f}, max {max(warm):.2f}, n={runs})")
    return {"first": first, "warm": statistics.median(warm)}


def cli(label: str, command: list[str], cwd: Path, extra_env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = _env(home, NUMBA_CACHE_DIR=str(home / "numba"), PIXLCRAFT_CACHE_DIR=str(home / "cache"),
                   **extra_env)
        env.pop("PIXLCRAFT_STARTUP_PROBE")
        args = ["convert", str(SAMPLE), "--palette", "dmc", "--width", "200", "-o", str(home / "a.pixl")]
        first = timed(command + args, env, cwd)
        second = timed(command + args, env, cwd)
        third = timed(command + args, env, cwd)
    print(f"{label}: 200-wide full-DMC convert, first run {first:.2f} s (numba compiles), second {second:.2f} s, "
          f"third {third:.2f} s")
    return {"first": first, "second": min(second, third)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, default=ROOT / "build" / "linux" / "dist" / "pixlcraft")
    p.add_argument("--addon", type=Path, help="an installed AI add-on folder, for its size")
    p.add_argument("--wheels", type=Path, help="the wheel folder the add-on was installed from, for its size")
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args(argv)
    bundle = a.bundle.resolve()
    print("## sizes")
    for f in sorted((ROOT / "dist").glob("pixlcraft*")):
        print(f"download {f.name}: {_mb(_size(f))}")
    print(f"installed bundle {bundle}: {_mb(_size(bundle))}")
    if a.addon:
        print(f"AI add-on installed: {_mb(_size(a.addon))}")
    if a.wheels:
        print(f"AI add-on download (wheels): {_mb(_size(a.wheels))}")
    print("## window: launch → first paint")
    window("installed app", [str(bundle / "pixlcraft-app")], Path(tempfile.gettempdir()), a.runs, {})
    source_env = {"PYTHONPATH": str(ROOT), "VIRTUAL_ENV": str(Path(sys.prefix))}
    window("source checkout", [sys.executable, str(ROOT / "main.py")], ROOT, a.runs, source_env)
    print("## command line")
    cli("installed app", [str(bundle / "pixlcraft")], Path(tempfile.gettempdir()), {})
    cli("source checkout", [sys.executable, "-m", "pixlcraft.cli"], ROOT, {"PYTHONPATH": str(ROOT)})
    if shutil.which("nproc"):
        print(f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
