"""The console's shared markup: every scrolling table that says so when it is empty is the one
``scroll_table`` macro of ``_macros.html``, whose empty row spans every column."""

from __future__ import annotations

import re

from carrefour.web.common import TEMPLATES_DIR, environment

EMPTY_ROW = re.compile(r'<td colspan="[^"]*" class="muted">')


def test_no_page_repeats_the_markup_of_a_table_with_an_empty_row() -> None:
    repeating = sorted(
        path.name
        for path in TEMPLATES_DIR.glob("*.html")
        if path.name != "_macros.html" and EMPTY_ROW.search(path.read_text(encoding="utf-8"))
    )
    assert repeating == []


def render(rows: list[str]) -> str:
    template = environment.from_string(
        '{% from "_macros.html" import scroll_table %}'
        '{% call(row, each) scroll_table(["Name", ("Count", "num"), ""], rows, "Nothing.") %}'
        "<tr><td>{{ each.index }}. {{ row }}</td></tr>"
        "{% endcall %}"
    )
    return template.render(rows=rows)


def test_an_empty_table_says_so_across_all_its_columns() -> None:
    html = render([])
    assert '<div class="scroll">' in html
    assert '<thead><tr><th>Name</th><th class="num">Count</th><th></th></tr></thead>' in html
    assert '<tr><td colspan="3" class="muted">Nothing.</td></tr>' in html


def test_each_item_is_a_row_of_the_callers_block_and_values_are_escaped() -> None:
    html = render(["a", "<b>"])
    assert "<tr><td>1. a</td></tr>" in html
    assert "<tr><td>2. &lt;b&gt;</td></tr>" in html
    assert "Nothing." not in html
