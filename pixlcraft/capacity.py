"""Colours with limited stock: each cell gets a colour, no colour is used more than the stock allows.

A stash holds so many skeins, beads or bricks of each colour, so "the nearest colour for every cell" can ask
for more of a colour than there is. The best pattern the stash can make is the assignment of cells to colours
that minimises the total CIEDE2000 to the photo with each colour used at most its capacity: a
**transportation problem** (cells supply one unit each, colours take at most their capacity). It is solved
exactly by successive shortest paths on the **colours**: start from every cell's cheapest colour (optimal
when nothing runs out) and move cells out of over-full colours one at a time along the cheapest chain of
moves (a cell from A to B, another from B to C that has room, …), found by Dijkstra with potentials on a graph
of as many nodes as colours, not cells. Each arc of that graph is the cheapest single cell to move between two
colours, kept up to date per colour, so a move costs a pass over two or three colours' cells. Tests check it
against an LP solver, a network simplex (POT) and brute force.

The same solver **repairs** a pattern that later steps made (a dither, the confetti clean-up): there the cost
of a cell keeping its colour is 0 and of moving is the extra error it takes on plus ``keep_cost``, so only as
many cells as needed move, each to where it hurts least, and the dither's or the clean-up's choices stand
everywhere else. For a pattern of nearest colours with ``keep_cost`` 0 the two problems have the same optimum,
which is what :func:`fit_capacity` relies on: it is exact for the plain pattern and a minimal repair for the
others.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .color import ciede2000
from .errors import InputError

REPAIR_COST = 0.01
"""ΔE00 a cell is charged for leaving the colour it has (a dither's, the clean-up's, an AI pattern's) when the
stock runs out: enough that only as many cells as must move do, too little to outweigh any real colour
difference."""


class StockTooSmall(InputError):
    """The stock has fewer units in all than the pattern has cells: no assignment exists."""

    def __init__(self, have: int, need: int, message: str | None = None) -> None:
        self.have, self.need = int(have), int(need)
        super().__init__(message or f"the stash covers {self.have:,} cells of this pattern's {self.need:,}.")


def largest_fitting_size(width: int, height: int, cells_in_stock: int) -> tuple[int, int]:
    """The biggest size of the same proportions with at most ``cells_in_stock`` cells ((0, 0) if none)."""
    if width * height <= cells_in_stock:
        return width, height
    scale = (cells_in_stock / (width * height)) ** 0.5
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    while w * h > cells_in_stock and (w > 1 or h > 1):  # rounding can leave it one row over
        if w >= h:
            w -= 1
        else:
            h -= 1
    return (w, h) if w * h <= cells_in_stock else (0, 0)


def fit_capacity(idx: np.ndarray, labs: np.ndarray, palette_labs: np.ndarray, capacity: np.ndarray,
                 candidates: np.ndarray | None = None, keep_cost: float = 0.0) -> tuple[np.ndarray, int]:
    """``idx`` (N,) palette indices changed as little as possible so no colour exceeds ``capacity``.

    ``labs`` are the N cells' true colours, ``capacity`` (C,) the most cells each palette colour may have
    (``np.inf`` for unlimited), ``candidates`` the colours a moved cell may take (default: all with capacity).
    When ``idx`` is each cell's nearest candidate and ``keep_cost`` is 0, the result minimises the total
    CIEDE2000 exactly. Returns the new indices and how many cells changed; raises :class:`StockTooSmall` when
    the candidates' capacity is below N."""
    idx = np.asarray(idx, np.int64)
    n = idx.size
    cap = np.asarray(capacity, np.float64)
    counts = np.bincount(idx, minlength=cap.size) if n else np.zeros(cap.size, np.int64)
    if n == 0 or (counts <= cap).all():
        return idx.copy(), 0
    cand = np.flatnonzero(cap > 0) if candidates is None else np.asarray(candidates, np.int64)
    cand = cand[cap[cand] > 0]
    cand = np.union1d(cand, np.unique(idx))  # a cell may always keep its colour if there is room
    have = float(np.minimum(cap[cand], n).sum())
    if have < n:
        raise StockTooSmall(int(have), n)
    labs = np.asarray(labs, np.float64).reshape(n, 3)
    # cells alike in colour and start are one supply node
    key = np.column_stack([labs, idx.astype(np.float64)])
    rows, inverse, supply = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    start = rows[:, 3].astype(np.int64)
    d = ciede2000(rows[:, None, :3], palette_labs[cand][None, :, :])
    d_start = ciede2000(rows[:, :3], palette_labs[start])
    stay = cand[None, :] == start[:, None]
    cost = np.where(stay, 0.0, np.maximum(d - d_start[:, None], 0.0) + keep_cost)
    plan = _transport(supply.astype(np.float64), np.minimum(cap[cand], n), cost)
    out = _spread(plan, inverse, cand, n)
    return out, int((out != idx).sum())


def assign_exact(labs: np.ndarray, palette_labs: np.ndarray, capacity: np.ndarray,
                 candidates: np.ndarray | None = None) -> np.ndarray:
    """The assignment of minimum total CIEDE2000 under ``capacity``, solved directly (no starting pattern):
    the reference :func:`fit_capacity` is checked against, and the solver for callers without one."""
    labs = np.asarray(labs, np.float64).reshape(-1, 3)
    cap = np.asarray(capacity, np.float64)
    cand = np.flatnonzero(cap > 0) if candidates is None else np.asarray(candidates, np.int64)
    cand = cand[cap[cand] > 0]
    n = labs.shape[0]
    have = float(np.minimum(cap[cand], n).sum())
    if have < n:
        raise StockTooSmall(int(have), n)
    rows, inverse, supply = np.unique(labs, axis=0, return_inverse=True, return_counts=True)
    cost = ciede2000(rows[:, None, :], palette_labs[cand][None, :, :])
    return _spread(_transport(supply.astype(np.float64), np.minimum(cap[cand], n), cost), inverse.ravel(), cand, n)


def _transport(supply: np.ndarray, capacity: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Integral optimal plan ``(rows, colours)`` sending every supply, each colour taking ≤ its capacity."""
    rows = np.repeat(np.arange(supply.size), supply.astype(np.int64))
    cell_cost = np.ascontiguousarray(cost[rows], dtype=np.float64)
    start = np.argmin(cell_cost, axis=1).astype(np.int64)
    assign = _ssp(cell_cost, start, np.asarray(capacity, np.float64))
    plan = np.zeros(cost.shape, np.int64)
    np.add.at(plan, (rows, assign), 1)
    return plan


@njit(cache=True, nogil=True)
def _rescan(cost, head, nxt, x, targets, n_targets, best, arg):
    """best[x, b], arg[x, b] for the first ``n_targets`` colours ``b`` of ``targets``: the cheapest cell of
    colour ``x`` to move to ``b`` (cost[i, b] - cost[i, x]), in one pass over ``x``'s cells."""
    for m in range(n_targets):
        best[x, targets[m]] = np.inf
        arg[x, targets[m]] = -1
    j = head[x]
    while j >= 0:
        cx = cost[j, x]
        for m in range(n_targets):
            b = targets[m]
            d = cost[j, b] - cx
            if d < best[x, b]:
                best[x, b] = d
                arg[x, b] = j
        j = nxt[j]


@njit(cache=True, nogil=True)
def _row_best(cost, head, nxt, x, best, arg, targets):
    """The whole row ``x``: every other colour a cell of ``x`` could move to."""
    n = 0
    for b in range(cost.shape[1]):
        if b != x:
            targets[n] = b
            n += 1
    best[x, x] = np.inf
    arg[x, x] = -1
    _rescan(cost, head, nxt, x, targets, n, best, arg)


@njit(cache=True, nogil=True)
def _left(cost, head, nxt, x, i, best, arg, stale):
    """Cell ``i`` has left colour ``x``: the entries of ``x``'s row it was the cheapest move of (usually one
    or two) are found again in one pass over ``x``'s cells."""
    n_stale = 0
    for b in range(cost.shape[1]):
        if arg[x, b] == i:
            stale[n_stale] = b
            n_stale += 1
    if n_stale:
        _rescan(cost, head, nxt, x, stale, n_stale, best, arg)


@njit(cache=True, nogil=True)
def _joined(cost, x, i, best, arg):
    """Cell ``i`` has joined colour ``x``: it may be the new cheapest move out of ``x``."""
    cx = cost[i, x]
    for b in range(cost.shape[1]):
        if b != x:
            d = cost[i, b] - cx
            if d < best[x, b]:
                best[x, b] = d
                arg[x, b] = i


@njit(cache=True, nogil=True)
def _ssp(cost, start, cap):
    """Successive shortest paths over the colours, one cell moved per arc (see :func:`fit_capacity`).

    ``start`` must be each cell's cheapest colour (row argmin of ``cost``): every move then costs ≥ 0, the
    start is optimal for its own loads, and each augmentation along a shortest path (Dijkstra with
    potentials, node ``k`` the sink every colour drains into up to its capacity) keeps it optimal, so the
    result is optimal once no colour is over capacity. The colour graph has ``k + 1`` nodes whatever the
    number of cells; a cell list per colour keeps the cheapest move of each colour pair up to date."""
    n, k = cost.shape
    assign = start.copy()
    load = np.zeros(k, np.int64)
    head = np.full(k, -1, np.int64)
    nxt = np.full(n, -1, np.int64)
    prv = np.full(n, -1, np.int64)
    for i in range(n):
        c = assign[i]
        load[c] += 1
        nxt[i] = head[c]
        if head[c] >= 0:
            prv[head[c]] = i
        head[c] = i
    best = np.empty((k, k))
    arg = np.empty((k, k), np.int64)
    stale = np.empty(k, np.int64)
    for x in range(k):
        _row_best(cost, head, nxt, x, best, arg, stale)
    pot = np.zeros(k + 1)
    dist = np.empty(k + 1)
    parent = np.empty(k + 1, np.int64)
    done = np.empty(k + 1, np.bool_)
    sink = k
    while True:
        s = -1
        for c in range(k):
            if load[c] > cap[c]:
                s = c
                break
        if s < 0:
            break
        # Dijkstra from s on reduced costs
        dist[:] = np.inf
        parent[:] = -1
        done[:] = False
        dist[s] = 0.0
        while True:
            u = -1
            du = np.inf
            for v in range(k + 1):
                if not done[v] and dist[v] < du:
                    du = dist[v]
                    u = v
            if u < 0 or u == sink:
                break
            done[u] = True
            if load[u] < cap[u]:  # u -> sink: spare capacity
                r = pot[u] - pot[sink]
                if r < 0.0:
                    r = 0.0
                if du + r < dist[sink]:
                    dist[sink] = du + r
                    parent[sink] = u
            for b in range(k):
                if b != u and not done[b] and arg[u, b] >= 0:
                    r = best[u, b] + pot[u] - pot[b]
                    if r < 0.0:
                        r = 0.0
                    if du + r < dist[b]:
                        dist[b] = du + r
                        parent[b] = u
        if not np.isfinite(dist[sink]):
            break  # no colour with room reachable: the caller checked the total, so this cannot happen
        limit = dist[sink]
        for v in range(k + 1):
            pot[v] += min(dist[v], limit)
        # move one cell along each colour arc of the path; only the pair entries that cell was the cheapest
        # of are worked out again (a scan of the colour it left), and the colour it joins compares it once
        t = parent[sink]
        v = t
        while v != s:
            u = parent[v]
            i = arg[u, v]
            if prv[i] >= 0:
                nxt[prv[i]] = nxt[i]
            else:
                head[u] = nxt[i]
            if nxt[i] >= 0:
                prv[nxt[i]] = prv[i]
            prv[i] = -1
            nxt[i] = head[v]
            if head[v] >= 0:
                prv[head[v]] = i
            head[v] = i
            assign[i] = v
            load[u] -= 1
            load[v] += 1
            _left(cost, head, nxt, u, i, best, arg, stale)
            _joined(cost, v, i, best, arg)
            v = u
    return assign


def _spread(plan: np.ndarray, inverse: np.ndarray, cand: np.ndarray, n: int) -> np.ndarray:
    """Hand each supply node's cells the colours its row of ``plan`` gives, in cell order."""
    order = np.argsort(inverse, kind="stable")  # cells grouped by node, in reading order within a node
    r, c = np.nonzero(plan)
    colours = np.repeat(cand[c], plan[r, c])  # row-major: node by node, as ``order`` groups the cells
    out = np.empty(n, np.int64)
    out[order] = colours
    return out


def stocked(capacity: np.ndarray, n_colours: int) -> np.ndarray:
    """The palette indices with some stock: with a stash, what is in the box is used whatever it is."""
    cap = np.asarray(capacity, np.float64)
    if cap.shape != (n_colours,):
        raise ValueError(f"capacity has {cap.size} entries for a palette of {n_colours}")
    return np.flatnonzero(cap > 0)


def faithful_cells(nearest: np.ndarray, capacity: np.ndarray) -> int:
    """How many cells the stock can fill with every cell in its own nearest stocked colour: the pattern's
    colour shares (``nearest``, each cell's nearest stocked colour) scaled until the first colour runs out.
    Beyond it colours stand in for each other, and with a small stash the picture suffers long before the
    stock runs out in all (a background turns red because the red skein still has stitches to give)."""
    nearest = np.asarray(nearest, np.int64)
    if nearest.size == 0:
        return 0
    cap = np.asarray(capacity, np.float64)
    share = np.bincount(nearest, minlength=cap.size).astype(np.float64) / nearest.size
    used = share > 0
    return int(np.floor(np.min(cap[used] / share[used]) + 1e-9))


def faithful_note(nearest: np.ndarray, capacity: np.ndarray, width: int,
                  height: int) -> tuple[str, str, tuple[int, int]]:
    """("", "", (0, 0)) when the stock covers this size with no colour standing in for another, else the CLI's
    and the window's sentence naming the largest size where it does, and that size."""
    cells = faithful_cells(nearest, capacity)
    if cells >= width * height:
        return "", "", (0, 0)
    w, h = largest_fitting_size(width, height, cells)
    if not w:
        return "", "", (0, 0)
    return (f"every cell keeps its own nearest colour up to {w}×{h} (--width {w})",
            f"every stitch keeps its own nearest thread up to {w} × {h}", (w, h))


def check_enough(capacity: np.ndarray, cells: int, width: int, height: int,
                 nearest: np.ndarray | None = None) -> None:
    """Refuse before any work when the whole stock cannot fill the pattern, naming the largest size that fits,
    the size it fills faithfully (given the cells' ``nearest`` stocked colours) and the other way out (buy
    the rest)."""
    have = int(np.minimum(np.asarray(capacity, np.float64), cells).sum())
    if have >= cells:
        return
    w, h = largest_fitting_size(width, height, have)
    fits = (f"The largest pattern of these proportions it fills is {w}×{h} (--width {w})" if w else
            "It cannot fill a pattern of any size")
    cli_faithful, gui_faithful, _ = faithful_note(nearest, capacity, width, height) if nearest is not None else \
        ("", "", (0, 0))
    if cli_faithful and w:
        fits += f", though there colours stand in for each other; {cli_faithful}"
    error = StockTooSmall(have, cells, f"the stash has enough for {have:,} cells, but this {width}×{height} "
                                       f"pattern has {cells:,}. {fits}; or buy only what it lacks "
                                       "(--fewest-purchases).")
    error.gui = (f"Your stash has enough for {have:,} cells, but this {width} × {height} pattern has {cells:,}. "
                 + (f"The largest pattern of these proportions it fills is {w} × {h}." if w else
                    "It cannot fill a pattern of any size.") + " Or untick “Only what I have” to see what to buy.")
    error.fits = (w, h)
    error.faithful = gui_faithful
    raise error


def widen_for_stock(chosen: np.ndarray, stocked_idx: np.ndarray, capacity: np.ndarray, cells: int,
                    preference: np.ndarray) -> np.ndarray:
    """``chosen`` (a colour budget's pick) plus the fewest stocked colours that give it enough stock to fill
    ``cells``, most preferred first (``preference``: a score per palette index, higher first — the cells
    that colour is nearest for). Without them no assignment within the budget exists."""
    chosen = np.asarray(chosen, np.int64)
    cap = np.minimum(np.asarray(capacity, np.float64), cells)
    have = cap[chosen].sum()
    if have >= cells:
        return chosen
    rest = np.setdiff1d(stocked_idx, chosen)
    rest = rest[np.lexsort((-cap[rest], -preference[rest]))]
    extra = []
    for i in rest:
        if have >= cells:
            break
        extra.append(i)
        have += cap[i]
    return np.union1d(chosen, np.asarray(extra, np.int64))


def assign_with_purchases(labs: np.ndarray, palette_labs: np.ndarray, owned: np.ndarray, buyable: np.ndarray,
                          buy_cost: float, candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The stash first, and buying where it pays: each colour of ``buyable`` gets a second, unlimited supply
    that costs ``buy_cost`` ΔE00 a cell on top of its colour error. The optimum then buys a cell's colour only
    when that beats every owned colour by more than ``buy_cost``, and buys the shortfall of a stash too small
    where it hurts least — with a large ``buy_cost``, exactly the shortfall: the fewest purchases.

    Returns each cell's palette index and the cells bought per palette colour (``(C,)``)."""
    labs = np.asarray(labs, np.float64).reshape(-1, 3)
    n = labs.shape[0]
    cap = np.minimum(np.asarray(owned, np.float64), n)
    own = np.flatnonzero(cap > 0) if candidates is None else np.asarray(candidates, np.int64)
    own = own[cap[own] > 0]
    buy = np.asarray(buyable, np.int64)
    if own.size + buy.size == 0:
        raise StockTooSmall(0, n)
    if buy.size == 0 and cap[own].sum() < n:
        raise StockTooSmall(int(cap[own].sum()), n)
    columns = np.concatenate([own, buy])
    cost = ciede2000(labs[:, None, :], palette_labs[columns][None, :, :])
    cost[:, own.size:] += float(buy_cost)
    column_cap = np.concatenate([cap[own], np.full(buy.size, float(n))])
    start = np.argmin(cost, axis=1).astype(np.int64)
    assign = _ssp(np.ascontiguousarray(cost), start, column_cap)
    idx = columns[assign]
    bought = np.bincount(idx[assign >= own.size], minlength=palette_labs.shape[0])
    return idx, bought
