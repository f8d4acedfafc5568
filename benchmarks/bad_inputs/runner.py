"""Running the cases in fresh processes, watching the files, and the report."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import select
import shlex
import signal
import stat
import subprocess
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

from .cases import show
from .model import CLEAN, CLEAR_LINE, OUTCOMES, OUTPUT_FLAGS, REACHED_MODELS, Case, Result

# ------------------------------------------------------------------------------------------------ running


def fingerprint(path: Path) -> str:
    """What a file is now: missing, folder, link target + content hash, or content hash (head and tail of a
    large file)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        return f"link→{os.readlink(path)}"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if not stat.S_ISREG(st.st_mode):
        return f"special {stat.S_IFMT(st.st_mode):o}"
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if st.st_size <= 32 << 20:
            h.update(f.read())
        else:
            h.update(f.read(1 << 20))
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read())
    return f"{st.st_size}:{h.hexdigest()[:16]}:{st.st_ino}"


def watched(case: Case) -> list[Path]:
    """The files this case must not change: every existing file named by an argument (an output only when the
    run is expected to fail), plus ``case.keep``."""
    paths: list[Path] = list(case.keep)
    skip_next = False
    for k, a in enumerate(case.args):
        if skip_next:
            skip_next = False
            continue
        if isinstance(a, str) and a in OUTPUT_FLAGS and case.expect != "error":
            skip_next = True
            continue
        if isinstance(a, Path | bytes) or (isinstance(a, str) and a.startswith("/") and k > 0):
            p = Path(os.fsdecode(a))
            with contextlib.suppress(OSError):
                if p.is_file() and not p.is_symlink() and not p.is_relative_to("/proc") \
                        and not p.is_relative_to("/dev"):
                    paths.append(p)
    return list(dict.fromkeys(paths))


def verify(path: Path) -> str | None:
    """None when ``path`` exists and parses as its extension says, else what is wrong."""
    if not path.is_file():
        return f"{path.name} was not written"
    data = path.read_bytes()
    suffix = path.suffix.lower()
    try:
        if suffix == ".pixl":
            with zipfile.ZipFile(path) as zf:
                json.loads(zf.read("pattern.json").decode("utf-8"))
        elif suffix in (".oxs", ".xml"):
            from xml.etree import ElementTree

            ElementTree.fromstring(data)
        elif suffix == ".pdf":
            if not data.startswith(b"%PDF") or b"%%EOF" not in data[-1024:]:
                return f"{path.name} is not a complete PDF"
        elif suffix in (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"):
            from PIL import Image

            with Image.open(path) as im:
                im.load()
    except Exception as e:  # whatever the parser says is the finding
        return f"{path.name} does not parse: {type(e).__name__}: {e}"
    return None


def execute(argv: list[bytes], case: Case, env: dict[str, str], timeout: float,
            cwd: Path) -> tuple[int | None, str, float]:
    """Run one command; (exit code or None on timeout, stderr, seconds). The process group is killed on timeout."""
    start = time.monotonic()
    run_env = {**env, **(case.env or {})}
    with tempfile.TemporaryFile() as err:
        if case.stdout == "closed":
            r, w = os.pipe()
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=w, stderr=err, env=run_env, cwd=cwd,
                                    start_new_session=True)
            os.close(w)
            os.close(r)
        else:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                    env=run_env, cwd=cwd, start_new_session=True)
        code: int | None
        try:
            if case.stdout == "head":
                assert proc.stdout is not None
                ready, _, _ = select.select([proc.stdout], [], [], timeout)
                if ready:
                    os.read(proc.stdout.fileno(), 4096)
                proc.stdout.close()
                code = proc.wait(max(1.0, timeout - (time.monotonic() - start)))
            elif case.stdout == "closed":
                code = proc.wait(timeout)
            else:
                proc.communicate(timeout=timeout)
                code = proc.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        finally:
            if proc.stdout is not None and not proc.stdout.closed:
                proc.stdout.close()
        err.seek(0)
        stderr = err.read().decode("utf-8", "backslashreplace")
    return code, stderr, time.monotonic() - start


def classify(case: Case, code: int | None, stderr: str, changed: list[str]) -> tuple[str, str]:
    """(outcome, reason) — exactly one outcome per case, worst first."""
    if changed:
        return "data lost", "changed: " + "; ".join(changed)
    if code is None:
        return "hang", "no exit within the timeout"
    if "Traceback" in stderr or "internal error" in stderr:
        return "internal error", f"exit {code}, traceback or internal error on stderr"
    if code < 0 and not (case.stdout != "pipe" and code == -signal.SIGPIPE):
        return "internal error", f"killed by signal {-code}"
    clear = code == 2 and CLEAR_LINE.search(stderr) is not None
    if case.expect == "quiet-exit":
        if code in (0, 141, -signal.SIGPIPE):
            if stderr.strip():
                return "internal error", f"exit {code} but stderr is not quiet"
            return "expected success", ""
        return ("clear error", "refused") if clear else ("internal error", f"exit {code}")
    if code == 0:
        if case.expect == "error":
            return "silent acceptance", "exit 0 for a bad input"
        problems = [p for p in (verify(c) for c in case.creates) if p]
        if problems:
            return "silent acceptance", "exit 0 but " + "; ".join(problems)
        return "expected success", ""
    if clear:
        return "clear error", ""
    if code == 2:
        return "internal error", "exit 2 without a 'pixlcraft: error: …' line"
    return "internal error", f"unexpected exit code {code}"


def run_case(case: Case, exe: str, env: dict[str, str], default_timeout: float, cwd: Path) -> Result:
    paths = watched(case)
    before = {p: fingerprint(p) for p in paths}
    argv = [os.fsencode(exe), *(os.fsencode(a) for a in case.args)]
    code, stderr, seconds = execute(argv, case, env, case.timeout or default_timeout, cwd)
    changed = [f"{p.name}: {before[p]} → {now}" for p in paths if (now := fingerprint(p)) != before[p]]
    outcome, reason = classify(case, code, stderr, changed)
    return Result(case, code, seconds, stderr, outcome, reason, changed)


# ------------------------------------------------------------------------------------------------ report


def command_line(case: Case, root: Path) -> str:
    words = ["pixlcraft", *(show(a, root) for a in case.args)]
    text = " ".join(words)
    if case.stdout == "head":
        text += " | head -1"
    elif case.stdout == "closed":
        text += " >&- (reader gone)"
    if case.env:
        text = " ".join(f"{k}={shlex.quote(v)}" for k, v in case.env.items()).replace(str(root), "$T") + " " + text
    return text


PROGRESS_BAR = re.compile(r"\d+%\|")


def stderr_head(stderr: str, root: Path, lines: int = 4) -> str:
    """The first ``lines`` lines of stderr (the last ones of a traceback), progress bars left out."""
    text = [s for s in stderr.replace("\r", "\n").splitlines() if s.strip() and not PROGRESS_BAR.search(s)]
    kept = text[-lines:] if "Traceback" in stderr else text[:lines]
    out = "\n".join(f"      | {s.replace(str(root), '$T')[:300]}" for s in kept)
    return out or ("      | (only progress bars)" if stderr.strip() else "      | (stderr empty)")


def report(results: list[Result], root: Path, messages: bool) -> None:
    entries = list(dict.fromkeys(r.case.entry for r in results))
    head = ["entry point", "bad inputs", *OUTCOMES]
    rows = []
    for entry in [*entries, "all"]:
        mine = [r for r in results if entry in ("all", r.case.entry)]
        counts = Counter(r.outcome for r in mine)
        rows.append([entry, str(len(mine)), *(str(counts.get(o, 0)) for o in OUTCOMES)])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    print()
    print("  ".join(h.rjust(w) if k else h.ljust(w) for k, (h, w) in enumerate(zip(head, widths, strict=True))))
    for row in rows:
        if row[0] == "all":
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))
        print("  ".join(x.rjust(w) if k else x.ljust(w) for k, (x, w) in enumerate(zip(row, widths, strict=True))))
    bad = [r for r in results if r.outcome not in CLEAN]
    print(f"\nCases that are not a clear error or an expected success: {len(bad)}")
    for r in sorted(bad, key=lambda r: (OUTCOMES.index(r.outcome), r.case.entry)):
        print(f"\n  [{r.outcome}] {r.case.entry}: {r.case.label} (expected {r.case.expect}; {r.reason})")
        print(f"    $ {command_line(r.case, root)}")
        print(f"    exit {r.code}, {r.seconds:.1f} s")
        print(stderr_head(r.stderr, root))
    refused = [r for r in results if r.case.expect == "ok" and r.outcome == "clear error"]
    if refused:
        print(f"\nLegitimate inputs refused with a clear error (counted as clear errors; check they should be): "
              f"{len(refused)}")
        for r in refused:
            print(f"  {r.case.entry}: {r.case.label}\n    $ {command_line(r.case, root)}\n"
                  f"{stderr_head(r.stderr, root, 1)}")
    late = [r for r in results if r.case.entry == "generate" and not r.case.valid_until_models
            and REACHED_MODELS.search(r.stderr)]
    if late:
        print(f"\ngenerate: bad inputs only noticed when the models were looked for (counted as clear errors; a "
              f"computer with the models would load them first): {len(late)}")
        for r in late:
            print(f"  {r.case.label}\n    $ {command_line(r.case, root)}")
    if messages:
        print("\nEvery clear error's message:")
        for r in results:
            if r.outcome == "clear error":
                line = next((s for s in r.stderr.splitlines() if ": error: " in s), "")
                print(f"  {r.case.entry}: {r.case.label}\n      {line[:400].replace(str(root), '$T')}")


