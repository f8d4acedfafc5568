"""Bad-input campaign: about 550 hostile or mistaken inputs thrown at every ``pixlcraft`` entry point, outcomes counted.

    python -m benchmarks.bad_inputs [--workers 2] [--timeout 60] [--only convert,export] [--json results.json]
                                    [--messages] [--list] [--keep]

Why: the CLI promises that every user problem (missing file, damaged file, impossible size, unknown palette,
unwritable output) ends as one line on stderr and exit code 2, that nothing hangs, and that no input or existing
output is ever lost. Unit tests check the cases someone thought of; this campaign throws many at once, through
the real command line in fresh processes, the way a user, a damaged disk or a hostile file would:

* files: missing, empty, folders, FIFOs (must not block), devices, symlink loops, non-UTF-8 names;
* images: truncated or garbled PNG/JPEG/GIF/TIFF/WebP/BMP, absurd sizes in headers, 0×0, decompression bombs,
  a looping TIFF directory, non-images with image extensions, and legitimate oddities (a JPEG above the pixel
  limit, 16-bit, CMYK, alpha, wrong extension) that must still work;
* palettes and colour lists: garbled CSV/GPL/HEX, binary, huge lines, negative or overflowing numbers;
* ``.pixl`` files: wrong members, wrong JSON types, NaN/inf/1e300, huge grid claims, deep nesting, zip bombs,
  CRC errors, unknown compression; ``.oxs`` files: billion laughs, external entities, UTF-16, huge or negative
  palette indices, wrong types;
* every numeric flag given nan, inf, -1, 0, 1e9, abc, '' and a 40-digit number; impossible sizes; unknown
  palettes, formats, methods and options; control characters and very long text;
* outputs: the input itself (same path, other spelling, symlink, hard link), missing folders, an existing
  folder, a read-only place, a name too long, an existing output that a failed run must leave alone;
* a reader that goes away (``| head -1``, or a pipe already closed).

Each case states what it expects: ``error`` (a clear refusal), ``ok`` (odd but legitimate, e.g. ``export -o
DIR`` writes DIR/NAME.ext, a JPEG above the pixel limit is decoded smaller), ``quiet-exit`` (stdout's reader
went away: exit 0 or 141, nothing on stderr), or ``either`` (a robustness probe where refusing and succeeding
are both right; only a crash, hang or loss counts). Every case gets exactly one outcome:

* data lost — an input's bytes changed, or an existing file was replaced or removed (hashed before and after);
  this outranks everything else;
* hang — no exit within the per-case timeout;
* internal error — a traceback, "internal error", death by a signal, an exit code other than 0/2 (141 where
  the reader went away), or exit 2 without a "...: error: ..." line;
* clear error — exit 2 with a "pixlcraft...: error: ..." line on stderr;
* expected success — exit 0 where that was expected (the files it must write exist and parse);
* silent acceptance — exit 0 for a bad input, or a success whose output is missing or unreadable.

Safety: cases run in a scratch folder with HOME and HF_HOME inside it and downloads switched off; ``generate``
gets only inputs that fail before a model loads (with no models installed a valid run ends in a clear "not on
this computer" message, which is a clear error; cases whose bad input is only noticed at that point are listed
separately); ``addon`` gets only argument errors; ``cleanup`` only tiny photos. At most 2 processes at a time.
Goal: every case a clear error or an expected success, none a hang, an internal error or a loss.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .cases import Builder
from .files import Fixtures
from .model import CLEAN, Case, Result
from .runner import command_line, fingerprint, report, run_case


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2, help="cases run side by side (at most 2 on a 2-core machine)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    p.add_argument("--only", help="comma-separated entry points to run (e.g. convert,export)")
    p.add_argument("--json", help="also write every result to this file")
    p.add_argument("--messages", action="store_true", help="print every clear error's message too")
    p.add_argument("--list", action="store_true", help="make the inputs and print the cases without running them")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (its path is printed)")
    a = p.parse_args(argv)
    exe = str(Path(sys.executable).with_name("pixlcraft"))
    if not Path(exe).exists():
        raise SystemExit(f"{exe} not found: run this with the project's virtualenv Python.")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="pixlcraft-bad-inputs-"))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PIXLCRAFT_"))}
        env.update(HOME=str(root / "home"), HF_HOME=str(root / "hf"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                   LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1", COLUMNS="120")
        (root / "home").mkdir()
        fx = Fixtures(root, exe, env)
        print(f"making the bad inputs in {root} …", flush=True)
        fx.build()
        cases = Builder(fx).build()
        if a.only:
            wanted = {s.strip() for s in a.only.split(",")}
            cases = [c for c in cases if c.entry in wanted]
        if a.list:
            for case in cases:
                print(f"{case.entry:<12} {case.expect:<10} {command_line(case, root)}")
            print(f"{len(cases)} cases")
            return 0
        fixtures_before = {p: fingerprint(p) for p in sorted(fx.dir.rglob("*")) if p.is_file() or p.is_symlink()}
        print(f"{len(cases)} cases, {a.workers} at a time, {a.timeout:g} s each at most "
              f"(inputs made in {time.monotonic() - started:.0f} s)", flush=True)
        results: list[Result] = []
        cwd = root / "cwd"
        cwd.mkdir()
        lock = threading.Lock()
        done = [0]

        def one(case: Case) -> Result:
            result = run_case(case, exe, env, a.timeout, cwd)
            with lock:
                done[0] += 1
                if done[0] % 50 == 0:
                    print(f"  {done[0]} done ({time.monotonic() - started:.0f} s) …", flush=True)
            return result

        with ThreadPoolExecutor(max(1, min(a.workers, 2))) as pool:
            results = list(pool.map(one, cases))
        fixtures_after = {p: fingerprint(p) for p in fixtures_before}
        moved = [f"{p.name}: {fixtures_before[p]} → {fixtures_after[p]}" for p in fixtures_before
                 if fixtures_before[p] != fixtures_after[p]]
        report(results, root, a.messages)
        if moved:
            print("\nShared input files changed during the campaign (some case wrote over them):")
            for line in moved:
                print(f"  {line}")
        if a.json:
            Path(a.json).write_text(json.dumps([{
                "entry": r.case.entry, "label": r.case.label, "command": command_line(r.case, root),
                "expect": r.case.expect, "exit": r.code, "seconds": round(r.seconds, 2), "outcome": r.outcome,
                "reason": r.reason, "stderr": r.stderr[-4000:].replace(str(root), "$T"),
            } for r in results], indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"\n{len(results)} cases in {time.monotonic() - started:.0f} s; "
              f"{sum(r.outcome not in CLEAN for r in results)} not clean.")
    finally:
        if a.keep:
            print(f"scratch folder kept: {root}")
        else:
            (root / "readonly").chmod(0o755)
            shutil.rmtree(root, ignore_errors=True)
    return 0
