"""Fuse-bead plans: board splitting, and the PDF read back (pypdf) — counts per board and in total, and the
true-size pages measured in PDF units (1 mm = 72/25.4 pt)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from pixlcraft.errors import InputError
from pixlcraft.export import export
from pixlcraft.export.boards import counts_per_board, row_letters, split_boards, used_boards
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern

MM = 72 / 25.4


def _pattern(palette: str = "hama", h: int = 23, w: int = 31, seed: int = 1, colours: int = 5) -> Pattern:
    rng = np.random.default_rng(seed)
    pal = load_builtin(palette)
    grid = rng.integers(0, colours, (h, w)).astype(np.int16)
    grid[rng.random((h, w)) < 0.08] = EMPTY
    idx = sorted(rng.choice(len(pal), size=colours, replace=False).tolist())
    return Pattern(grid, pal.subset(idx), {"title": "Beads"})


@pytest.mark.parametrize("h,w,size", [(1, 1, 4), (29, 29, 29), (30, 58, 29), (23, 31, 10), (100, 7, 16)])
def test_boards_cover_every_cell_once(h, w, size):
    boards = split_boards(h, w, size)
    hits = np.zeros((h, w), int)
    for b in boards:
        assert b.y1 - b.y0 <= size and b.x1 - b.x0 <= size and b.size == size
        hits[b.y0 : b.y1, b.x0 : b.x1] += 1
    assert (hits == 1).all()
    assert len(boards) == -(-h // size) * -(-w // size)
    assert [b.index for b in boards] == list(range(len(boards)))


def test_board_labels_and_counts():
    assert [row_letters(i) for i in (0, 1, 25, 26, 27, 51, 52)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]
    pattern = _pattern(h=23, w=31)
    boards = split_boards(23, 31, 10)
    assert [b.label for b in boards[:4]] == ["A1", "A2", "A3", "A4"] and boards[4].label == "B1"
    counts = counts_per_board(pattern, boards)
    for b in boards:  # brute force, cell by cell
        want = np.zeros(len(pattern.palette), int)
        for r in range(b.y0, b.y1):
            for c in range(b.x0, b.x1):
                if pattern.grid[r, c] != EMPTY:
                    want[pattern.grid[r, c]] += 1
        assert (counts[b.index] == want).all()
    assert (counts.sum(axis=0) == pattern.counts()).all()


def test_bad_board_size_is_refused(tmp_path):
    with pytest.raises(InputError, match="board"):
        export(_pattern(), "bead-pdf", tmp_path / "b.pdf", {"board": 2})


def test_bead_pdf_counts_per_board_and_in_total(tmp_path):
    pattern = _pattern(h=23, w=31)
    pattern.grid[:10, 10:20] = EMPTY  # board A2 (10×10 boards) is empty: no page for it
    out = export(pattern, "bead-pdf", tmp_path / "b.pdf", {"board": 10})
    reader = PdfReader(str(out[0]))
    texts = [p.extract_text() for p in reader.pages]
    boards = split_boards(pattern.height, pattern.width, 10)
    counts = counts_per_board(pattern, boards)
    used = used_boards(pattern, boards)
    assert "A2" not in {b.label for b in used}

    totals_seen = {}
    for t in texts:
        m = re.search(r"Total on board ([A-Z]+\d+): (\d+) beads", t)
        if m:
            totals_seen[m.group(1)] = (int(m.group(2)), t)
    assert sorted(totals_seen) == sorted(b.label for b in used)
    for b in used:
        n, text = totals_seen[b.label]
        assert n == int(counts[b.index].sum())
        # every colour on the board with its own count (code, then count, in the board's table)
        per_colour = 0
        for i in np.flatnonzero(counts[b.index]):
            found = re.search(re.escape(pattern.palette[i].code) + r"\s+(\d+)", text)
            assert found, (b.label, pattern.palette[i].code)
            assert int(found.group(1)) == counts[b.index, i]
            per_colour += int(found.group(1))
        assert per_colour == n
    assert sum(n for n, _ in totals_seen.values()) == int(pattern.counts().sum())

    # the overview lists every colour with its total, and the grand total
    overview = texts[0]
    for i in np.flatnonzero(pattern.counts()):
        e = pattern.palette[i]
        found = re.search(re.escape(e.code) + r"\s+" + re.escape(e.name) + r"\s+(\d+)", overview)
        assert found and int(found.group(1)) == pattern.counts()[i]
    assert re.search(rf"Total\s+{int(pattern.counts().sum())}", overview)
    assert f"page {len(texts)} of {len(texts)}" in texts[-1]
    assert len(texts) == 1 + len(used)


def _circles(page, reader) -> list[tuple[float, float, float]]:
    """(cx, cy, r) of every circle path drawn on a page (a move-to followed by four curves)."""
    ops = ContentStream(page.get_contents(), reader).operations
    out = []
    for k in range(len(ops) - 4):
        if ops[k][1] == b"m" and all(ops[k + j][1] == b"c" for j in range(1, 5)):
            mx, my = (float(v) for v in ops[k][0])
            ex, ey = (float(v) for v in ops[k + 1][0][4:6])  # first quarter ends at the top of the circle
            r = ey - my
            out.append((mx - r, my, r))
    return out


def _columns(values: list[float]) -> np.ndarray:
    """Distinct positions, merging those that differ only by the 0.01 pt rounding of the PDF numbers."""
    v = np.sort(np.asarray(values))
    starts = np.concatenate(([True], np.diff(v) > 0.05))
    return np.array([grp.mean() for grp in np.split(v, np.flatnonzero(starts)[1:])])


@pytest.mark.parametrize("palette,pitch_mm,board", [("perler", 5.0, 29), ("hama_mini", 2.6, 36)])
def test_true_scale_pages_measure_right(tmp_path, palette, pitch_mm, board):
    pattern = _pattern(palette, h=12, w=14)
    out = export(pattern, "bead-pdf", tmp_path / "t.pdf", {"board": board, "true_scale": True})
    reader = PdfReader(str(out[0]))
    page = reader.pages[1]
    # bead circles sit exactly one pitch apart
    circles = [c for c in _circles(page, reader) if abs(c[2] - 0.45 * pitch_mm * MM) < 0.05]  # not the legend
    assert len(circles) == int(np.count_nonzero(pattern.grid != EMPTY))
    xs, ys = _columns([c[0] for c in circles]), _columns([c[1] for c in circles])
    assert len(xs) == pattern.width and len(ys) == pattern.height
    assert np.allclose(np.diff(xs), pitch_mm * MM, atol=0.02)
    assert np.allclose(np.diff(ys), pitch_mm * MM, atol=0.02)
    # the calibration ruler: a 100 mm bar, numbered every centimetre
    ops = ContentStream(page.get_contents(), reader).operations
    bars = [op for op, name in ops if name == b"re" and abs(float(op[2]) - 100 * MM) < 0.01]
    assert len(bars) == 1
    labels = []
    page.extract_text(visitor_text=lambda t, cm, tm, fd, fs: labels.append((t.strip(), tm[4], tm[5])))
    digits = {t: x for t, x, y in labels if t in {"0", "5", "9"}}
    assert digits["5"] - digits["0"] == pytest.approx(50 * MM, abs=0.02)
    assert digits["9"] - digits["0"] == pytest.approx(90 * MM, abs=0.02)
    assert "10 cm" in page.extract_text()


def test_normal_pages_are_not_true_scale_and_fit_the_paper(tmp_path):
    pattern = _pattern("perler", h=12, w=14)
    reader = PdfReader(str(export(pattern, "bead-pdf", tmp_path / "n.pdf", {"board": 29})[0]))
    page = reader.pages[1]
    all_circles = _circles(page, reader)
    # three sizes of circle: beads, the dots of empty pegs (smaller) and a few legend swatches
    by_r = Counter(round(c[2], 1) for c in all_circles)
    bead_r = max(r for r, n in by_r.items() if n >= 20)
    circles = [c for c in all_circles if round(c[2], 1) == bead_r]
    assert len(circles) == int(np.count_nonzero(pattern.grid != EMPTY))
    pitch = float(np.diff(_columns([c[0] for c in circles])).mean())
    assert pitch != pytest.approx(5 * MM, abs=0.5)
    assert 29 * pitch <= float(page.mediabox.width)
    ops = ContentStream(page.get_contents(), reader).operations
    assert not [op for op, name in ops if name == b"re" and abs(float(op[2]) - 100 * MM) < 0.01]


def test_board_too_large_for_true_scale_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"--board \d+ or less"):
        export(_pattern("perler"), "bead-pdf", tmp_path / "big.pdf", {"board": 50, "true_scale": True})
    assert not (tmp_path / "big.pdf").exists()
    # the same board prints fine when not to scale
    export(_pattern("perler"), "bead-pdf", tmp_path / "ok.pdf", {"board": 50})
