"""The SD-πXL checks that need a GPU (issue 14, part 5), as one script that finishes within a time budget.

Each part runs as its own process with its own time limit (a compile that hangs, or an out-of-memory that
leaves the GPU in a bad state, costs that part only), in order of importance, and the limits are cut to what
is left of ``--budget`` (default 450 s, under 8 minutes with start-up):

1. ``step``: PAPER and FAST eager, full size, random weights (``benchmarks.sdpixl_step``): ms/step synced
   and pipelined, first step, peak memory against the estimate;
2. ``precision``: the SDS-gradient cosine of bf16 and fp16 against fp32 at the same t and noise
   (``benchmarks.sds_precision``);
3. ``compile``: FAST with ``--compile`` (UNet + ControlNets as one CUDA graph, TAESD compiled), the same
   figures; its first step carries the compile time;
4. ``deterministic``: FAST eager with ``--deterministic``, what bit-exact GPU runs cost.

Everything goes to ``--out`` (default ``$OUT``, else ``gpu_check_out``): one log and one JSON per part, and
``gpu_check.json`` with the device, the versions and every part's status and figures, also printed as a table.

    python -m benchmarks.gpu_check [--out DIR] [--budget SECONDS]
    python -m benchmarks.gpu_check --tiny          # the same parts on the CPU with the tiny test models
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START_RESERVE_S = 20  # what each part needs at least to import torch and build something
DEFAULT_BUDGET_S = 450  # all parts together; with the interpreter and the machine's start, under 8 minutes


@dataclass(frozen=True)
class Part:
    name: str
    module: str
    args: tuple[str, ...]
    timeout_s: int


def parts(tiny: bool) -> list[Part]:
    where = ("--tiny", "--device", "cpu") if tiny else ("--device", "cuda")
    steps = ("--steps", "2", "--warmup", "1") if tiny else ("--steps", "10", "--warmup", "3")
    return [
        Part("step", "benchmarks.sdpixl_step", (*where, "--recipes", "paper,fast", *steps), 150),
        Part("precision", "benchmarks.sds_precision", where, 90),
        Part("compile", "benchmarks.sdpixl_step", (*where, "--recipes", "fast-compile", *steps), 240),
        Part("deterministic", "benchmarks.sdpixl_step",
             (*where, "--recipes", "fast", "--deterministic", "--steps", "5" if not tiny else "1",
              "--warmup", "2" if not tiny else "1"), 60),
    ]


def device_info(tiny: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        import diffusers
        import torch

        info.update(torch=torch.__version__, diffusers=diffusers.__version__, cuda=torch.version.cuda)
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info.update(device=props.name, memory_gib=round(props.total_memory / 2**30, 1),
                        capability=f"{props.major}.{props.minor}")
        else:
            info["device"] = "cpu" + (" (tiny models)" if tiny else " (no CUDA GPU visible)")
    except Exception as exc:  # noqa: BLE001 - the summary reports a broken environment instead of dying
        info["error"] = f"{type(exc).__name__}: {exc}"
    return info


def run_part(part: Part, out: Path, timeout_s: float) -> dict[str, Any]:
    figures = out / f"{part.name}.json"
    cmd = [sys.executable, "-m", part.module, *part.args, "--json", str(figures)]
    started = time.perf_counter()
    record: dict[str, Any] = {"command": " ".join(cmd[1:]), "timeout_s": round(timeout_s)}
    with open(out / f"{part.name}.log", "w", encoding="utf-8") as log:
        try:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, timeout=timeout_s,
                                  check=False)
            record["status"] = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            record["status"] = "timed out"
    record["seconds"] = round(time.perf_counter() - started, 1)
    if figures.is_file():
        record["figures"] = json.loads(figures.read_text(encoding="utf-8"))
    return record


def _step_rows(name: str, figures: dict[str, Any]) -> list[str]:
    rows = []
    for r in figures.get("results", []):
        def fmt(key: str, spec: str = ".1f", r: dict[str, Any] = r) -> str:
            value = r.get(key)
            return "—" if value is None else format(value, spec)

        rows.append(f"{name:<13} {r['recipe']:<13} {r.get('dtype', '?'):<9} {fmt('median_ms'):>9} "
                    f"{fmt('pipelined_ms'):>9} {fmt('first_warmup_ms', '.0f'):>9} {fmt('peak_gib', '.2f'):>8} "
                    f"{fmt('estimate_gib', '.2f'):>8}  {r['status']}")
    return rows


def print_summary(summary: dict[str, Any]) -> None:
    d = summary["device"]
    print(f"device: {d.get('device', '?')}, torch {d.get('torch', '?')}, diffusers {d.get('diffusers', '?')}")
    print(f"{'part':<13} {'recipe':<13} {'dtype':<9} {'ms/step':>9} {'piped ms':>9} {'1st ms':>9} "
          f"{'peak GiB':>8} {'est GiB':>8}  status")
    for name, record in summary["parts"].items():
        figures = record.get("figures") or {}
        rows = _step_rows(name, figures) if figures.get("benchmark") == "sdpixl_step" else []
        for row in rows:
            print(row)
        if not rows:
            print(f"{name:<13} {record['status']} after {record.get('seconds', 0)} s (see {name}.log)")
    precision = (summary["parts"].get("precision") or {}).get("figures") or {}
    for dtype, m in precision.get("summary", {}).items():
        print(f"SDS gradient {dtype} vs fp32: cosine mean {m['cos_grad_mean']:.6f}, min {m['cos_grad_min']:.6f}; "
              f"relative error {m['rel_err_grad_mean']:.4f}; image-gradient cosine min {m['cos_image_grad_min']:.6f}; "
              f"finite {m['finite']}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "gpu_check_out"))
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S,
                   help=f"seconds for all parts together (default {DEFAULT_BUDGET_S})")
    p.add_argument("--tiny", action="store_true", help="tiny test models on the CPU (checks the script itself)")
    p.add_argument("--only", default="", help="comma list of parts to run (default: all)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    deadline = time.perf_counter() + args.budget
    summary: dict[str, Any] = {"check": "sdpixl gpu_check", "device": device_info(args.tiny), "parts": {}}
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    for part in parts(args.tiny):
        if wanted and part.name not in wanted:
            continue
        left = deadline - time.perf_counter()
        if left < START_RESERVE_S:
            summary["parts"][part.name] = {"status": "skipped: out of time"}
            continue
        print(f"[gpu_check] {part.name}: up to {min(part.timeout_s, left):.0f} s ...", file=sys.stderr, flush=True)
        summary["parts"][part.name] = run_part(part, args.out, min(part.timeout_s, left))
    (args.out / "gpu_check.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print_summary(summary)
    return summary


if __name__ == "__main__":
    result = main()
    sys.exit(0 if all(r.get("status") == "ok" for r in result["parts"].values()) else 1)
