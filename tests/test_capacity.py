"""The colour assignment under stock limits: exact against an LP solver and brute force, never over stock."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from pixlcraft.capacity import StockTooSmall, assign_exact, fit_capacity, largest_fitting_size
from pixlcraft.color import ciede2000
from pixlcraft.nearest import nearest_colors_bruteforce
from pixlcraft.palette import load_builtin


def _problem(seed: int, n: int, c: int):
    rng = np.random.default_rng(seed)
    labs = np.column_stack([rng.uniform(20, 90, n), rng.uniform(-40, 40, n), rng.uniform(-40, 40, n)])
    pal = np.column_stack([rng.uniform(10, 95, c), rng.uniform(-50, 50, c), rng.uniform(-50, 50, c)])
    cap = rng.integers(0, max(2, n // 2), c).astype(np.float64)
    while cap.sum() < n:
        cap[rng.integers(c)] += 1
    return labs, pal, cap


def _cost(labs, pal, idx) -> float:
    return float(ciede2000(labs, pal[idx]).sum())


def _lp_optimum(labs, pal, cap) -> float:
    n, c = labs.shape[0], pal.shape[0]
    d = ciede2000(labs[:, None, :], pal[None, :, :])
    a_eq = np.zeros((n, n * c))
    for i in range(n):
        a_eq[i, i * c:(i + 1) * c] = 1
    a_ub = np.zeros((c, n * c))
    for j in range(c):
        a_ub[j, j::c] = 1
    res = linprog(d.ravel(), A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1), method="highs")
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("seed", range(8))
def test_fit_from_nearest_matches_the_lp_optimum_and_respects_stock(seed: int) -> None:
    labs, pal, cap = _problem(seed, 60, 7)
    nearest, _ = nearest_colors_bruteforce(labs, pal)
    idx, moved = fit_capacity(nearest, labs, pal, cap)
    assert (np.bincount(idx, minlength=pal.shape[0]) <= cap).all()
    assert _cost(labs, pal, idx) == pytest.approx(_lp_optimum(labs, pal, cap), abs=1e-6)
    assert _cost(labs, pal, assign_exact(labs, pal, cap)) == pytest.approx(_cost(labs, pal, idx), abs=1e-6)
    over = np.maximum(np.bincount(nearest, minlength=pal.shape[0]) - cap, 0).sum()
    assert moved >= over  # at least the overflow moved


def test_brute_force_on_a_tiny_case() -> None:
    labs, pal, cap = _problem(42, 7, 3)
    best = min(_cost(labs, pal, np.array(a)) for a in itertools.product(range(3), repeat=7)
               if (np.bincount(a, minlength=3) <= cap).all())
    nearest, _ = nearest_colors_bruteforce(labs, pal)
    idx, _ = fit_capacity(nearest, labs, pal, cap)
    assert _cost(labs, pal, idx) == pytest.approx(best, abs=1e-9)


def test_a_pattern_within_stock_is_left_exactly_as_it_is() -> None:
    labs, pal, _ = _problem(3, 50, 5)
    nearest, _ = nearest_colors_bruteforce(labs, pal)
    idx, moved = fit_capacity(nearest, labs, pal, np.full(5, np.inf))
    assert moved == 0 and np.array_equal(idx, nearest)


def test_a_repair_keeps_every_cell_it_can_and_moves_the_cheapest() -> None:
    """A dithered-looking start (not the nearest colours): only the overflow moves, never a cell with room."""
    labs, pal, _ = _problem(5, 80, 6)
    rng = np.random.default_rng(9)
    start = rng.integers(0, 6, 80)
    counts = np.bincount(start, minlength=6).astype(np.float64)
    cap = counts.copy()
    cap[0] -= 5  # colour 0 is five short; colour 5 has room to spare
    cap[5] += 10
    idx, moved = fit_capacity(start, labs, pal, cap, keep_cost=0.01)
    assert moved == 5 and (np.bincount(idx, minlength=6) <= cap).all()
    assert (idx[start != 0] == start[start != 0]).all()


def test_identical_cells_are_one_node_but_each_gets_one_colour() -> None:
    """A flat graphic: 2,000 cells of one colour, split between two threads by their stock."""
    dmc = load_builtin("dmc")
    pal = dmc.lab[[dmc.index_of("321"), dmc.index_of("666"), dmc.index_of("310")]]
    labs = np.repeat(pal[:1], 2000, axis=0)
    cap = np.array([1200, 700, 500], np.float64)
    idx, moved = fit_capacity(np.zeros(2000, np.int64), labs, pal, cap)
    counts = np.bincount(idx, minlength=3)
    assert counts[0] == 1200 and counts[1] == 700 and counts[2] == 100  # 666 (a red) before 310 (black)
    assert moved == 800


def test_too_little_stock_is_a_clear_error_and_the_largest_size_fits() -> None:
    labs, pal, _ = _problem(1, 30, 4)
    with pytest.raises(StockTooSmall, match="covers 20 cells of this pattern's 30") as err:
        fit_capacity(np.zeros(30, np.int64), labs, pal, np.array([5, 5, 5, 5.0]))
    assert (err.value.have, err.value.need) == (20, 30)
    assert largest_fitting_size(60, 40, 2400) == (60, 40)
    w, h = largest_fitting_size(60, 40, 1800)
    assert w * h <= 1800 and (w + 1) * (h + 1) > 1800 and abs(w / h - 1.5) < 0.1
    assert largest_fitting_size(10, 10, 0) == (0, 0)


def test_a_real_photo_matches_a_network_simplex_optimum() -> None:
    """2,500 cells of a photo, 20 threads of little stock: the same total as POT's network simplex."""
    ot = pytest.importorskip("ot")
    from skimage import data

    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import photo_from_array

    dmc = load_builtin("dmc")
    free = convert_photo(photo_from_array(data.astronaut()), dmc, ConvertOptions(width=50, max_colors=20,
                                                                                   cleanup=False))
    labs = free.cell_lab.reshape(-1, 3)
    used = free.pattern.used_indices()
    cap = np.zeros(len(dmc))
    cap[used] = 160  # 20 × 160 = 3,200 for 2,500 cells: the popular colours run out
    nearest, _ = nearest_colors_bruteforce(labs, dmc.lab[used])
    idx, moved = fit_capacity(used[nearest], labs, dmc.lab, cap)
    assert moved > 300 and (np.bincount(idx, minlength=len(dmc)) <= cap).all()
    m = ciede2000(labs[:, None, :], dmc.lab[used][None, :, :])
    spare = cap[used].sum() - labs.shape[0]
    reference = ot.emd2(np.append(np.ones(labs.shape[0]), spare), cap[used], np.vstack([m, np.zeros(len(used))]),
                        numItermax=10_000_000)
    assert _cost(labs, dmc.lab, idx) == pytest.approx(reference, rel=1e-9)


def test_buying_is_chosen_only_where_it_beats_the_stash_by_its_cost() -> None:
    """Exact against the LP of the same problem with owned and bought supplies as separate colours."""
    from pixlcraft.capacity import assign_with_purchases

    labs, pal, cap = _problem(11, 40, 6)
    cap[:] = [6, 5, 0, 0, 4, 3]  # 18 owned for 40 cells: 22 must be bought
    buyable = np.array([1, 2, 3])
    for cost in (0.0, 3.0, 1000.0):
        idx, bought = assign_with_purchases(labs, pal, cap, buyable, cost)
        counts = np.bincount(idx, minlength=6)
        assert (counts - bought <= cap).all() and bought[[0, 4, 5]].sum() == 0
        owned_pal = pal[[0, 1, 4, 5]]
        both = np.vstack([owned_pal, pal[buyable]])
        d = ciede2000(labs[:, None, :], both[None]) + np.r_[0, 0, 0, 0, cost, cost, cost][None]
        n = labs.shape[0]
        a_eq = np.kron(np.eye(n), np.ones(7))
        a_ub = np.kron(np.ones(n), np.eye(7))
        res = linprog(d.ravel(), A_ub=a_ub, b_ub=np.r_[6, 5, 4, 3, n, n, n], A_eq=a_eq, b_eq=np.ones(n),
                      bounds=(0, 1), method="highs")
        ours = _cost(labs, pal, idx) + cost * bought.sum()
        assert ours == pytest.approx(res.fun, abs=1e-6)
        if cost == 1000.0:
            assert bought.sum() == 22  # the fewest purchases: exactly the shortfall


@pytest.mark.parametrize("dither, cleanup", [("floyd-steinberg", False), ("ordered", False), ("none", True)])
def test_dither_and_confetti_clean_up_stay_within_the_stock(dither: str, cleanup: bool) -> None:
    """The dither's mixed cells and the clean-up's recoloured ones are repaired back within the stock."""
    from skimage import data

    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import photo_from_array

    dmc = load_builtin("dmc")
    photo = photo_from_array(data.astronaut())
    free = convert_photo(photo, dmc, ConvertOptions(width=60, max_colors=12, dither=dither, cleanup=cleanup))
    counts = free.pattern.counts()[:len(dmc)].astype(np.float64)
    cap = np.floor(counts * 0.7)  # every colour 30 % short …
    spare = np.flatnonzero(counts == 0)[:6]
    cap[spare] = 400  # … and six colours it did not use, with room
    result = convert_photo(photo, dmc, ConvertOptions(width=60, max_colors=12, dither=dither, cleanup=cleanup,
                                                      capacity=tuple(cap)))
    used = result.pattern.counts()[:len(dmc)]
    assert (used <= cap).all() and used.sum() == 60 * 60
    assert result.stats["moved_for_stock"] > 0
