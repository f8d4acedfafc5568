"""What a campaign case is, what it expects and how it ended."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"

Arg = str | bytes | Path

EXPECTATIONS = ("error", "ok", "quiet-exit", "either")
OUTCOMES = ("clear error", "expected success", "internal error", "hang", "silent acceptance", "data lost")
CLEAN = ("clear error", "expected success")
CLEAR_LINE = re.compile(r"^pixlcraft[\w -]*: error: \S", re.M)
REACHED_MODELS = re.compile(r"not on this computer")
BAD_NUMBERS = ("nan", "inf", "-1", "0", "1e9", "abc", "")
HUGE = "9" * 40
"""Added for flags without an upper bound: a number no integer type holds."""
FEW_NUMBERS = ("nan", "-1", "abc")
"""For flags checked by the same code as one that gets every value."""


def values_for(hi: float | None, few: bool = False) -> tuple[str, ...]:
    return (FEW_NUMBERS if few else BAD_NUMBERS) + ((HUGE,) if hi is None else ())
OUTPUT_FLAGS = ("-o", "--output", "--save-reference")


@dataclass
class Case:
    """One command and what it should do."""

    entry: str
    label: str
    args: list[Arg]
    expect: str = "error"
    creates: tuple[Path, ...] = ()
    """Files an ``ok`` run must leave behind (each is checked to parse)."""
    keep: tuple[Path, ...] = ()
    """Files (or links) that must be exactly as before, in addition to the inputs found among ``args``."""
    stdout: str = "pipe"
    """``pipe`` (read all), ``head`` (read one chunk, then go away) or ``closed`` (the reader is gone at start)."""
    timeout: float | None = None
    env: dict[str, str] | None = None
    valid_until_models: bool = False
    """generate: the input is fine, so ending at "model not on this computer" is the right clear error."""

    def __post_init__(self) -> None:
        assert self.expect in EXPECTATIONS, self.expect


@dataclass
class Result:
    case: Case
    code: int | None
    seconds: float
    stderr: str
    outcome: str
    reason: str = ""
    changed: list[str] = field(default_factory=list)


