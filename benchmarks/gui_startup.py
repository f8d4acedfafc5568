"""Desktop window: launch → first paint, and how late the event loop runs while a job works.

1. Start-up: a fresh ``python main.py`` process (offscreen) is timed from just before it is launched to the
   first paint event of the main window, where the child prints the wall-clock time and exits. Python's own
   start, every import and the window's construction are inside the figure. The child reports whether torch,
   numba or OpenCV were imported by then (none should be: they belong to the first job, not the empty window).
   Byte-code is cached in a temporary folder (``PYTHONPYCACHEPREFIX``) and one unmeasured launch fills it, as an
   installed app would have it; the repository's ``PYTHONDONTWRITEBYTECODE`` would otherwise recompile every
   module on each launch.
2. Event-loop delay: in one process, a 10 ms precise QTimer runs while the window converts the sample photo
   (classic, 200 cells wide, the panel's other defaults) through the bridge; the worst lateness of a tick is
   the longest the window could not react. A first convert warms numba up and is reported separately.
3. The same during a tiny-model SD-πXL generation (random-weight models from ``tests/tiny_models.py``), when
   torch and diffusers are installed.

Goals: first paint ≤ 1.5 s, worst lateness ≤ 50 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"

CHILD = r"""
import json, os, sys, time
sys.argv = ["main.py"]
sys.path.insert(0, os.getcwd())
import main as entry
from pixlcraft.gui import main_window

_original = main_window.MainWindow.paintEvent

def _first_paint(self, event):
    _original(self, event)
    now = time.time()
    loaded = {name: name in sys.modules for name in ("torch", "numba", "cv2", "diffusers", "pixlcraft.convert")}
    print(json.dumps({"painted": now, "cpu": time.process_time(), "loaded": loaded}), flush=True)
    os._exit(0)

main_window.MainWindow.paintEvent = _first_paint
sys.exit(entry.run())
"""


def _child_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
               PIXLCRAFT_CONFIG_DIR=str(tmp / "config"), PIXLCRAFT_AUTOSAVE_DIR=str(tmp / "autosave"))
    return env


def launch_once(env: dict[str, str]) -> tuple[float, float, dict[str, bool]]:
    """(wall seconds from launch to first paint, CPU seconds the process used by then, heavy modules loaded)."""
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            report = json.loads(line)
            return report["painted"] - start, report["cpu"], report["loaded"]
    raise RuntimeError(f"the window never painted (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def startup(runs: int = 7) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = _child_env(Path(tmp))
        launch_once(env)  # fills the byte-code cache; not measured
        times, cpus, loaded = [], [], {}
        for _ in range(runs):
            seconds, cpu, loaded = launch_once(env)
            times.append(seconds)
            cpus.append(cpu)
    heavy = [name for name, yes in loaded.items() if yes]
    print(f"launch → first paint: median {statistics.median(times):.2f} s (min {min(times):.2f}, "
          f"max {max(times):.2f}, n={runs}); goal ≤ 1.5 s")
    print(f"  CPU time used by then: median {statistics.median(cpus):.2f} s (what the wall time approaches on an "
          f"idle machine; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  imported at first paint: {', '.join(heavy) if heavy else 'none of torch, numba, cv2, diffusers'}")


# ------------------------------------------------------------------------------------------------ lateness


def _lateness_during(app, start_job, busy) -> tuple[float, float, int]:
    """(seconds the job took, worst tick lateness in ms, ticks) while ``start_job()`` runs to the end."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    clock = QElapsedTimer()
    ticks: list[int] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(clock.nsecsElapsed()))
    clock.start()
    timer.start()
    start_job()
    began = clock.nsecsElapsed()
    while busy():
        app.processEvents()
        time.sleep(0.001)
    ended = clock.nsecsElapsed()
    timer.stop()
    marks = [began, *[t for t in ticks if began <= t <= ended], ended]
    gaps = [(b - a) / 1e6 for a, b in zip(marks, marks[1:], strict=False)]
    return (ended - began) / 1e9, max(gaps) - 10.0, len(marks) - 2


def convert_lateness(width: int = 200) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PIXLCRAFT_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ["PIXLCRAFT_AUTOSAVE_DIR"] = str(Path(tmp) / "autosave")
        from pixlcraft.gui import errors
        from pixlcraft.gui.app import create_application
        from pixlcraft.gui.main_window import MainWindow
        from pixlcraft.settings import Settings

        app = create_application()
        errors.present = lambda parent, message: "discard" if "discard" in message.buttons else "ok"
        window = MainWindow(Settings(), check_recovery=False)
        window.resize(1440, 900)
        window.show()
        app.processEvents()
        window.source_panel.width_cells.setValue(width)
        for label in ("first (numba cache load)", "warm"):
            seconds, worst, n = _lateness_during(app, lambda: window.open_path(SAMPLE), lambda: window.jobs.busy)
            assert window.document.pattern is not None and window.document.pattern.width == width
            print(f"classic convert of the sample at width {width}, {label}: job {seconds:.2f} s, worst event-loop "
                  f"lateness {worst:.0f} ms over {n} ticks; goal ≤ 50 ms")
        tiny_generation_lateness(app, Path(tmp))
        window.document.close()
        window.close()


def tiny_generation_lateness(app, tmp: Path) -> None:
    try:
        import diffusers  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        print("tiny-model generation: skipped (torch or diffusers is not installed)")
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from tiny_models import build_tiny_models

    from pixlcraft.gui.bridge import JobRunner
    from pixlcraft.imageio import load_photo
    from pixlcraft.palette import load_builtin
    from pixlcraft.sdpixl.pipeline import GenerateRequest, generate

    tiny = build_tiny_models(tmp / "tiny")
    request = GenerateRequest(
        prompt="an astronaut", width=24, height=24, image=load_photo(SAMPLE), palette=load_builtin("dmc"),
        max_colors=16, steps=40, seed=0, device="cpu", canvas_side=128, download=False,
        base_model=str(tiny.base), vae=str(tiny.taesd), controlnet_canny=str(tiny.controlnet_canny),
        controlnet_depth=str(tiny.controlnet_depth), depth_model=str(tiny.depth), clip_model=str(tiny.clip),
    )
    runner = JobRunner()
    failures: list[BaseException] = []
    runner.error.connect(failures.append)
    for label in ("first (imports torch)", "second"):
        seconds, worst, n = _lateness_during(app, lambda: runner.start(generate, request), lambda: runner.busy)
        if failures:
            raise failures[0]
        print(f"tiny-model SD-πXL generation (24×24, 40 steps, CPU), {label}: job {seconds:.2f} s, worst event-loop "
              f"lateness {worst:.0f} ms over {n} ticks; goal ≤ 50 ms")


def main() -> None:
    startup()
    if "--startup-only" not in sys.argv:
        convert_lateness()


if __name__ == "__main__":
    main()
