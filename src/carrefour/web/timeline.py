"""The RGTI career drawn as a timeline: a server-rendered SVG (no script).

One row per CAS with its segments coloured by contributor category, one row of assimilated
periods, the gaps between segments hatched, and a tick for each start or stop message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from itertools import pairwise

from markupsafe import Markup

from carrefour.services.person_page import Bar, MessageLine

WIDTH = 800
ROW = 26
LEFT = 120
COLOURS = {"A": "#2f6fb0", "D": "#b0662f", "B": "#3f9b5a", "C": "#8a4fb0"}


def _x(day: date, first: date, last: date) -> float:
    span = max((last - first).days, 1)
    return LEFT + (WIDTH - LEFT - 10) * (day - first).days / span


def svg(
    bars: Sequence[Bar],
    events: Sequence[MessageLine],
    *,
    today: date,
    translate: Callable[[str], str],
) -> Markup:
    if not bars:
        return Markup("")
    first = min(b.begin for b in bars)
    last = max([today, *(b.end for b in bars if b.end)])
    first = date(first.year, 1, 1)
    rows = sorted({b.label for b in bars if b.kind == "segment"})
    has_assim = any(b.kind == "assimilation" for b in bars)
    height = ROW * (len(rows) + int(has_assim) + 2) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-label="{escape(translate("Career timeline"))}">',
        '<defs><pattern id="gap" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<path d="M0,6 L6,0" stroke="#c33" stroke-width="1"/></pattern></defs>',
    ]
    for year in range(first.year, last.year + 1):
        x = _x(date(year, 1, 1), first, last)
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 14}" stroke="#ddd"/>')
        if (last.year - first.year) < 12 or year % 5 == 0:
            parts.append(f'<text x="{x + 2:.1f}" y="{height - 2}" font-size="10">{year}</text>')
    for index, label in enumerate(rows):
        y = ROW * index + 4
        parts.append(f'<text x="4" y="{y + 15}" font-size="11">{escape(label)}</text>')
        for bar in (b for b in bars if b.kind == "segment" and b.label == label):
            x1 = _x(bar.begin, first, last)
            x2 = _x(bar.end or last, first, last)
            colour = COLOURS.get(bar.category, "#666")
            title = f"{label} {bar.category} {bar.begin.isoformat()} - {bar.end or '…'}"
            parts.append(
                f'<rect class="segment" x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 2):.1f}" '
                f'height="{ROW - 8}" fill="{colour}"><title>{escape(title)}</title></rect>'
                f'<text x="{x1 + 3:.1f}" y="{y + 13}" font-size="10" fill="#fff">'
                f"{escape(bar.category)}</text>"
            )
    segments = sorted((b for b in bars if b.kind == "segment"), key=lambda b: b.begin)
    gap_y = ROW * len(rows) + 4
    for before, after in pairwise(segments):
        if before.end is not None and (after.begin - before.end).days > 1:
            x1 = _x(before.end, first, last)
            x2 = _x(after.begin, first, last)
            parts.append(
                f'<rect class="gap" x="{x1:.1f}" y="4" width="{x2 - x1:.1f}" '
                f'height="{gap_y - 8}" fill="url(#gap)" opacity="0.5">'
                f"<title>{escape(translate('Gap'))}</title></rect>"
            )
    if has_assim:
        y = gap_y
        parts.append(
            f'<text x="4" y="{y + 15}" font-size="11">{escape(translate("Assimilated"))}</text>'
        )
        for bar in (b for b in bars if b.kind == "assimilation"):
            x1 = _x(bar.begin, first, last)
            x2 = _x(bar.end or last, first, last)
            parts.append(
                f'<rect class="assimilation" x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 2):.1f}"'
                f' height="{ROW - 8}" fill="#999"><title>{escape(bar.label)}</title></rect>'
            )
    tick_y = ROW * (len(rows) + int(has_assim)) + 6
    for event in events:
        if event.event_date is None:
            continue
        x = _x(max(event.event_date, first), first, last)
        mark = "▲" if event.flow.endswith("start") else "▼"
        name = translate("start message") if mark == "▲" else translate("stop message")
        parts.append(
            f'<text class="event" x="{x - 5:.1f}" y="{tick_y + 12}" font-size="12">{mark}'
            f"<title>{escape(name)} {event.event_date.isoformat()}</title></text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped
