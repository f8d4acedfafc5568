"""Hostile and odd OXS files (issue 12 item 4): no entity tricks in any encoding, no array sized by a number
from the file, and every chart we write opens again whatever its title holds."""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.errors import PatternFileError
from pixlcraft.formats import load_pattern
from pixlcraft.formats.oxs import save_oxs
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern

CHART = ('<chart><properties chartwidth="2" chartheight="1" charttitle="{title}"/><palette>'
         '<palette_item index="0" number="cloth" name="cloth" color="FFFFFF"/>'
         '<palette_item index="{index}" number="DMC 310" name="Black" color="000000"/></palette>'
         '<fullstitches><stitch x="0" y="0" palindex="{index}"/></fullstitches></chart>')

LAUGHS = ('<!DOCTYPE chart [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')
EXTERNAL = '<!DOCTYPE chart [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
PARAMETER = '<!DOCTYPE chart [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]>'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("doctype,title", [(LAUGHS, "&d;"), (EXTERNAL, "&x;"), (PARAMETER, "t"),
                                           ("<!-- " + " " * 70000 + " -->" + LAUGHS, "&d;")])
def test_entity_tricks_are_refused_in_any_encoding(tmp_path: Path, encoding: str, doctype: str, title: str) -> None:
    path = tmp_path / "evil.oxs"
    text = f'<?xml version="1.0" encoding="{encoding}"?>' + doctype + CHART.format(title=title, index=1)
    path.write_bytes(text.encode(encoding))
    with pytest.raises(PatternFileError, match="document type declaration"):
        load_pattern(path)


def test_a_huge_palette_index_allocates_nothing_big(tmp_path: Path) -> None:
    path = tmp_path / "big.oxs"
    path.write_text(CHART.format(title="t", index=1_000_000_000), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pattern = load_pattern(path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200, grown_mib  # an array sized by the index would need 8 GB
    assert pattern.palette[int(pattern.grid[0, 0])].code == "310" and pattern.grid[0, 1] < 0


@pytest.mark.parametrize("raw", ["1e999", "-1e999", "nan", "1e20", "0x10", "2.5"])
def test_odd_numbers_in_a_chart_are_clear_errors(tmp_path: Path, raw: str) -> None:
    path = tmp_path / "odd.oxs"
    path.write_text(CHART.format(title="t", index=1).replace('palindex="1"', f'palindex="{raw}"'), encoding="utf-8")
    try:
        load_pattern(path)  # 1e20 is a thread that is not there: skipped and counted
    except PatternFileError as e:
        assert "palindex" in str(e)
    no_props = tmp_path / "noprops.oxs"
    no_props.write_text(f'<chart><palette><palette_item index="1" color="000000"/></palette><fullstitches>'
                        f'<stitch x="{raw}" y="0" palindex="1"/></fullstitches></chart>', encoding="utf-8")
    with pytest.raises(PatternFileError):
        load_pattern(no_props)


def test_control_characters_in_names_still_give_a_chart_that_opens(tmp_path: Path) -> None:
    pal = load_builtin("dmc").subset([0, 5])
    pattern = Pattern(np.array([[0, 1]], np.int16), pal, {"title": "Owl\x00\x07\x1b[31m\x0b night\ufffe"})
    path = tmp_path / "ctl.oxs"
    save_oxs(pattern, path)
    back = load_pattern(path)
    assert back.metadata["title"] == "Owl[31m night"
    assert [back.palette[int(i)].code for i in back.grid.ravel()] == [pal[0].code, pal[1].code]
