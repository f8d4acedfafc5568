"""Every ``pixlcraft …`` command line in the README runs, as written, on the bundled samples.

The README is where users copy commands from; this test keeps it from drifting. Files the README names (a
photo, a logo, a list of owned threads) are made here from the bundled samples; the AI commands run with the
test suite's tiny random-weight models (their folders appended as flags, plus a few steps). Only a download from
the internet is left out (there is no network in tests).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
NO_NETWORK = ("models download",)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "pixlcraft":
                commands.append(" ".join(shlex.quote(w) for w in words))
    return commands


def _files(folder: Path) -> None:
    photo = Image.open(SAMPLES / "astronaut.jpg").convert("RGB")
    for name in ("my-photo.jpg", "fox.jpg"):
        photo.save(folder / name, quality=92)
    photo.crop((180, 60, 244, 124)).save(folder / "photo.jpg", quality=90)  # small: Real-ESRGAN ×4 stays quick
    yy, xx = np.mgrid[0:96, 0:96]
    logo = np.zeros((96, 96, 4), np.uint8)
    ring = (np.hypot(yy - 48, xx - 48) < 40) & (np.hypot(yy - 48, xx - 48) > 20)
    logo[ring] = (200, 30, 40, 255)
    Image.fromarray(logo, "RGBA").save(folder / "logo.png")
    (folder / "my-threads.txt").write_text("310\n321\nBLANC\n3865, 415, 318, 642, 822, 839, 3799\n")
    (folder / "my-stash.csv").write_text("code,quantity,unit\nBLANC,2,skein\n321,1,skein\n3865,10,m\n415,1,\n")
    from pixlcraft.cli import main

    assert main(["convert", str(folder / "my-photo.jpg"), "--palette", "perler", "--width", "40",
                 "-o", str(folder / "owl.pixl")]) == 0


def _ai_flags(words: list[str], tiny, pasd) -> list[str]:
    if words[1] == "generate":
        return [*words, "--steps", "2", "--canvas-side", "64", "--reference-samples", "1", "--reference-steps", "1",
                "--device", "cpu", "--no-download", "--base-model", str(tiny.base), "--vae", str(tiny.taesd),
                "--controlnet-canny", str(tiny.controlnet_canny), "--controlnet-depth", str(tiny.controlnet_depth),
                "--depth-model", str(tiny.depth), "--clip-model", str(tiny.clip)]
    if "pasd" in words:
        words = [str(pasd.light) if w == "DIR" else w for w in words]
        yes = [] if "--yes" in words else ["--yes"]  # a slow runner's estimate must not turn into a question
        return [*words, "--base-model", str(pasd.base), "--device", "cpu", "--steps", "2", *yes]
    return words


def test_the_readme_has_the_commands_users_copy() -> None:
    commands = readme_commands()
    assert len(commands) >= 20
    assert any("export owl.pixl --format bead-pdf" in c for c in commands)


def test_every_readme_command_runs(tmp_path: Path, monkeypatch, tiny_models, capsys) -> None:
    from pasd_tiny import build_tiny_pasd

    from pixlcraft.cli import main

    monkeypatch.chdir(tmp_path)
    _files(tmp_path)
    pasd = build_tiny_pasd(tmp_path / "pasd-models")
    ran, skipped = [], []
    for command in readme_commands():
        if any(s in command for s in NO_NETWORK):
            skipped.append(command)
            continue
        words = _ai_flags(shlex.split(command), tiny_models, pasd)
        code = main(words[1:])
        out = capsys.readouterr()
        assert code == 0, f"{command}\n{out.err[-1500:]}"
        ran.append(command)
    assert len(ran) >= 20 and len(skipped) <= 1
    # what the exports wrote is there
    for name in ("rose.pdf", "rose-bw.pdf", "rose.oxs", "rose.pes", "owl.pdf", "logo.xml", "logo.ldr", "logo.csv",
                 "clean.png", "rose-preview.png", "mine.pixl", "buy.csv", "buy.pdf", "threads.csv"):
        assert (tmp_path / name).is_file(), name
