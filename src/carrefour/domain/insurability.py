"""Insurability data of the CAS (form L410): affiliation and contributions per calendar quarter.

Self-employed contribution vouchers travel once a year, so a mutuality that must decide quickly
whether a self-employed person is insured (at the start of an incapacity, for example) consults,
through the hub, what the person's CAS says of a quarter (domain.md section 5, seed 002). Each
CAS feeds, per affiliate and quarter: the contributor category and whether the contributions are
in order (``Contributions``), and whether it considers the quarter **closed**.

A CAS may only feed a quarter in which the person is its affiliate: at least one day of the quarter
falls in an affiliation of the person with that CAS in the RGTI (``check_feed``). A quarter that
has not begun yet cannot be fed.

**Answer status.** An answer about one CAS's quarter is ``definitive`` when the quarter is over
(today is after its last day) *and* the CAS closed it; it is ``intermediate`` otherwise: the
quarter is still running (contributions may still be paid), or it is over but the CAS has not
closed it yet (``answer_status``). A whole L410 answer is definitive only when it holds data and
every CAS's part of it is definitive (``overall_status``); an answer without data is intermediate,
since a CAS may still feed the quarter.

**Through the network** (seed 002: "les mutualités devaient pouvoir consulter de façon
complémentaire, via le réseau de la sécurité sociale, les données d'assurabilité auprès des
caisses d'assurances sociales"): the hub finds the CAS the RGTI names for the quarter
(``cas_of_quarter``); with none, the answer is definitive and negative at once; otherwise the CAS
answers, and only for its own affiliate (``check_answer``). A CAS that chose it in the catalogue
feeds its data to the hub instead, which answers for it as above.

Standard library and ``carrefour.domain`` only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from carrefour.domain.careers import Career
from carrefour.domain.errors import InvalidCode, InvalidPeriod, NotAffiliate, NotAuthorised
from carrefour.domain.periods import Period, Quarter

__all__ = [
    "AnswerStatus",
    "CasQuarter",
    "Contributions",
    "affiliated_in",
    "answer_status",
    "cas_of_quarter",
    "check_answer",
    "check_category",
    "check_feed",
    "overall_status",
    "parse_contributions",
]


class Contributions(StrEnum):
    """Where the person stands with the contributions of the quarter, as the CAS says."""

    IN_ORDER = "in-order"
    REGULARISED = "regularised"
    EXEMPTED = "exempted"
    NOT_IN_ORDER = "not-in-order"


class AnswerStatus(StrEnum):
    DEFINITIVE = "definitive"
    INTERMEDIATE = "intermediate"
    PENDING = "pending"  # forwarded to the CAS, which has not answered yet


@dataclass(frozen=True, slots=True)
class CasQuarter:
    """One CAS's part of an L410 answer: what it says of the person's quarter.

    ``affiliated`` comes from the RGTI career (the person is the CAS's affiliate on at least one
    day of the quarter), not from the CAS's own data.
    """

    cas: str
    cas_network_number: str | None
    cas_enterprise_number: str
    quarter: Quarter
    affiliated: bool
    contributor_category: str
    contributions: Contributions
    closed: bool
    status: AnswerStatus


def answer_status(quarter: Quarter, today: date, closed: bool) -> AnswerStatus:
    """``definitive`` when ``quarter`` is over on ``today`` and the CAS closed it; otherwise
    ``intermediate`` (the quarter is still running, or the CAS has not closed it yet)."""
    if today > quarter.last_day and closed:
        return AnswerStatus.DEFINITIVE
    return AnswerStatus.INTERMEDIATE


def overall_status(parts: Iterable[CasQuarter]) -> AnswerStatus:
    """A whole answer is definitive when it has parts and every one of them is definitive."""
    statuses = [part.status for part in parts]
    if statuses and all(s is AnswerStatus.DEFINITIVE for s in statuses):
        return AnswerStatus.DEFINITIVE
    return AnswerStatus.INTERMEDIATE


def affiliated_in(career: Career, cas: str, quarter: Quarter) -> bool:
    """True when the person is affiliated with ``cas`` on at least one day of ``quarter``."""
    days = Period.of_quarter(quarter)
    return any(a.cas == cas and a.period.overlaps(days) for a in career.affiliations)


def cas_of_quarter(career: Career, quarter: Quarter) -> str | None:
    """The CAS the RGTI names for the person's ``quarter``: the one of the affiliation that
    begins last among those that overlap it; ``None`` when the person was affiliated with no CAS
    then. [assumption] a change of CAS in the course of a quarter (rare: it takes effect at the
    start of a quarter) sends the consultation to the newer CAS."""
    days = Period.of_quarter(quarter)
    overlapping = [a for a in career.affiliations if a.period.overlaps(days)]
    if not overlapping:
        return None
    return max(overlapping, key=lambda a: a.period.begin).cas


def check_answer(career: Career, cas: str, quarter: Quarter) -> None:
    """``NotAffiliate`` when ``cas`` answers for a person who is not its affiliate on any day of
    ``quarter`` (seed 002: the CAS answers for its own affiliates)."""
    if not affiliated_in(career, cas, quarter):
        raise NotAffiliate(
            f"CAS {cas!r} may not answer for {career.niss} about quarter {quarter}: the RGTI holds "
            f"no affiliation of the person with {cas!r} during that quarter",
            cas=cas,
            quarter=str(quarter),
        )


def check_feed(career: Career, cas: str, quarter: Quarter, *, today: date) -> None:
    """May ``cas`` feed insurability data for ``quarter`` of this career's person on ``today``?

    A quarter that has not begun raises ``InvalidPeriod``; a quarter in which the person is not the
    CAS's affiliate raises ``NotAuthorised`` (``not-authorised``, ``MSG00013``).
    """
    if quarter.first_day > today:
        raise InvalidPeriod(
            f"quarter {quarter} has not begun on {today.isoformat()}; a CAS cannot feed "
            "insurability data for a future quarter",
            quarter=str(quarter),
        )
    if not affiliated_in(career, cas, quarter):
        raise NotAuthorised(
            f"CAS {cas!r} may not feed insurability data of {career.niss} for quarter {quarter}: "
            f"the RGTI holds no affiliation of the person with {cas!r} during that quarter; a CAS "
            "only feeds data for the quarters in which the person is its affiliate",
            reason_code="not-authorised",
            status_code="MSG00013",
            cas=cas,
            quarter=str(quarter),
        )


def parse_contributions(text: str) -> Contributions:
    """The ``Contributions`` value of ``text``, or ``InvalidCode``."""
    try:
        return Contributions(text)
    except ValueError:
        valid = [c.value for c in Contributions]
        raise InvalidCode(
            f"contributions {text!r} is not a valid value; valid values: {', '.join(valid)}",
            contributions=text,
            valid=valid,
        ) from None


def check_category(category: str, categories: Collection[str]) -> None:
    """``InvalidCode`` when ``category`` is not one of the catalogue's contributor categories."""
    if category not in categories:
        valid = sorted(categories)
        raise InvalidCode(
            f"contributor category {category!r} does not exist; valid categories: "
            f"{', '.join(valid)}",
            category=category,
            valid=valid,
        )
