"""The hub operators' flows dashboard and the replay of a message to one recipient.

- ``/flows``: messages per flow per day (a server-rendered SVG bar chart), the backlog and the
  age of the oldest unanswered message of every recipient, the paper vouchers, the dead letters
  with their retry, and the push deliveries paused (resumed from the dashboard).
- ``POST /messages/{id}/replay``: ``services.console_replay`` re-decides today whether the
  recipient may receive the message, logs both decisions, and puts it back in the mailbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from carrefour.api.deps import HubDep
from carrefour.domain.messages import DeliveryStatus
from carrefour.services import console_flows, console_replay, operations
from carrefour.services.vouchers import NOT_INTEGRATED, REPLACED
from carrefour.web import i18n
from carrefour.web.common import (
    ConsoleRoute,
    CsrfChecked,
    Form,
    Operator,
    htmx,
    language_of,
    page,
    root,
)
from carrefour.web.i18n import gettext_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)  # joins console.router

#: English of the stored paper reasons (the hub stores them in French and Dutch).
NOT_INTEGRATED_EN = "No mutuality integrated this person for the period"
REPLACED_EN = "The NISS the sender knows was replaced by %(new)s"
_REPLACED = [re.compile(re.escape(text).replace(re.escape("{new}"), r"(\S+)")) for text in REPLACED]


def paper_reason(text: str | None, language: str) -> str | None:
    """A paper voucher's reason (stored in French or Dutch) in ``language``; other text as is."""
    if not text:
        return None
    translate = gettext_of(language)
    if text.strip() in NOT_INTEGRATED:
        return {"fr": NOT_INTEGRATED[0], "nl": NOT_INTEGRATED[1]}.get(
            language, translate(NOT_INTEGRATED_EN)
        )
    for pattern in _REPLACED:
        if found := pattern.fullmatch(text.strip()):
            new = found.group(1)
            fr, nl = (t.format(new=new) for t in REPLACED)
            return {"fr": fr, "nl": nl}.get(language, translate(REPLACED_EN) % {"new": new})
    return text


def reason_of(detail: operations.MessageDetail, language: str) -> str | None:
    """Why the message went on paper: its own ``reason`` (an A911 record), or that of the A911
    record that answers it (a paper contribution voucher)."""
    own = detail.payload.get("reason")
    if isinstance(own, str):
        return paper_reason(own, language)
    for reply in detail.replies:
        text = reply.payload.get("reason")
        if reply.flow == "paper-voucher" and isinstance(text, str):
            return paper_reason(text, language)
    return None


# --- the replay ---------------------------------------------------------------------------------


@router.post("/messages/{message_id}/replay", dependencies=[CsrfChecked])
def replay(request: Request, hub: HubDep, who: Operator, message_id: str, form: Form) -> Response:
    with hub.uow() as uow:
        outcome = console_replay.replay(
            uow, by=who.institution, message_id=message_id, recipient=form.get("recipient", "")
        )
    if htmx(request):
        return page(request, "_replay.html", outcome=outcome)
    return message_page(request, hub, who, message_id, outcome=outcome)


def message_page(
    request: Request,
    hub: HubDep,
    who: Operator,
    message_id: str,
    *,
    outcome: console_replay.ReplayOutcome | None = None,
) -> HTMLResponse:
    """The message page (``console.message``), with a replay's outcome after a plain post."""
    with hub.uow() as uow:
        detail = operations.message_detail(uow, by=who.institution.id, message_id=message_id)
    return page(
        request,
        "message.html",
        who=who,
        detail=detail,
        reason=reason_of(detail, language_of(request)),
        outcome=outcome,
        replayable=sorted({row.recipient for row in detail.recipients}),
    )


# --- the flows dashboard ------------------------------------------------------------------------

COLOURS = ("#2f6fb0", "#b0662f", "#3f9b5a", "#8a4fb0", "#b03f5a", "#5a8ab0", "#9b8a3f", "#555")
WIDTH, HEIGHT, LEFT, BOTTOM = 760, 220, 40, 30


def chart(days: console_flows.FlowDays, *, day_label: Callable[[Any], str], label: str) -> Markup:
    """A stacked bar per day, one colour per flow (the legend is the page's table)."""
    highest = max((sum(row[i] for row in days.counts.values()) for i in range(len(days.days))),
                  default=0)  # fmt: skip
    top = max(highest, 1)
    step = (WIDTH - LEFT - 10) / max(len(days.days), 1)
    plot = HEIGHT - BOTTOM - 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-label="{escape(label)}">',
        f'<line x1="{LEFT}" y1="{10 + plot}" x2="{WIDTH - 10}" y2="{10 + plot}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="18" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{LEFT - 4}" y="{10 + plot}" font-size="10" text-anchor="end">0</text>',
    ]
    flows = sorted(days.counts)
    for i, day in enumerate(days.days):
        x = LEFT + i * step + step * 0.15
        y: float = 10 + plot
        for index, flow in enumerate(flows):
            n = days.counts[flow][i]
            if not n:
                continue
            h = plot * n / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[index % len(COLOURS)]}"><title>{escape(flow)} '
                f"{escape(day_label(day))}: {n}</title></rect>"
            )
        if len(days.days) <= 16 or i % 2 == 0:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - 12}" font-size="9" '
                f'text-anchor="middle">{escape(day_label(day)[:5])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def age(delta: timedelta | None, language: str) -> str:
    """An age as ``3 d 4 h`` / ``2 h 5 min`` / ``40 s`` (units translated)."""
    if delta is None:
        return ""
    translate = gettext_of(language)
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} {translate('d')} {hours} {translate('h')}"
    if hours:
        return f"{hours} {translate('h')} {minutes} {translate('min')}"
    if minutes:
        return f"{minutes} {translate('min')}"
    return f"{seconds} {translate('s')}"


@router.get("/flows")
def flows(request: Request, hub: HubDep, who: Operator, days: int = 14) -> HTMLResponse:
    days = min(max(days, 1), 90)
    language = language_of(request)
    with hub.uow() as uow:
        per_day = console_flows.messages_per_day(uow, days=days)
        backlogs = console_flows.backlogs(uow)
        counts: Mapping[str, int] = operations.delivery_counts(uow)
        dead = uow.mailbox.newest_with_status(DeliveryStatus.FAILED.value, limit=50)
        paused = uow.console.paused()
        now: datetime = uow.clock.now()
    drawing = chart(
        per_day,
        day_label=lambda d: i18n.day(d, language),
        label=gettext_of(language)("Messages per flow per day"),
    )
    return page(
        request,
        "flows.html",
        who=who,
        active="flows",
        per_day=per_day,
        chart=drawing,
        colours=COLOURS,
        backlogs=backlogs,
        ages={b.recipient: age(b.age(now), language) for b in backlogs},
        paper=counts.get(DeliveryStatus.PAPER.value, 0),
        failed=counts.get(DeliveryStatus.FAILED.value, 0),
        dead=dead,
        paused=paused,
        days=days,
    )


@router.post("/flows/retry", dependencies=[CsrfChecked])
def retry(request: Request, hub: HubDep, who: Operator, form: Form) -> Response:
    """Put one dead letter (or all of a message's) back in the push queue, as on its page."""
    with hub.uow() as uow:
        operations.rerun(
            uow,
            message_id=form.get("message_id", ""),
            by=who.institution.id,
            recipient=form.get("recipient") or None,
        )
    return RedirectResponse(root(request) + "/flows", status_code=303)
