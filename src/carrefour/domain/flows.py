"""The flow registry: every flow name of the hub once, with its deliberation kinds.

A flow is the name a message, a consultation and a deliberation share (domain.md section 6,
docs/architecture.md "one road"). Each flow here is named once, as a constant the use cases
import, with the kinds of deliberation the catalogue holds for it (send, receive, consult)
and the *tracked-only* recipients it may have: a ``contribution-voucher`` that no mutuality
can receive goes on ``paper``, which the tracking file records as a recipient without a
mailbox.

A new flow touches three places: this registry, a rule of ``data/catalogue.toml`` for each of
its kinds, and the use case that sends it through ``services.road``. A test holds the registry
and the catalogue to each other.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from carrefour.domain.catalogue import Action

__all__ = [
    "ANSWER",
    "CONSULTATIONS",
    "CONTRIBUTION_VOUCHER",
    "DIRECTORY",
    "FLOWS",
    "IDENTIFICATION_CORRECTION",
    "INAMI_CASE",
    "INSURABILITY",
    "INSURABILITY_ANSWER",
    "INSURABILITY_REQUEST",
    "INTERVENTION_ANSWER",
    "INTERVENTION_REQUEST",
    "PAPER",
    "PAPER_VOUCHER",
    "PENSION_VOUCHER",
    "PROVISIONAL_PROOF",
    "RESEND_REQUEST",
    "RGTI_AFFILIATION",
    "RGTI_ASSIMILATION",
    "RGTI_CAREER",
    "SELF_EMPLOYED_START",
    "SELF_EMPLOYED_STOP",
    "TRACKING",
    "FlowSpec",
    "spec",
]

#: The tracking file's recipient of a voucher that went on paper (no mailbox).
PAPER: Final = "paper"

SELF_EMPLOYED_START: Final = "self-employed-start"
SELF_EMPLOYED_STOP: Final = "self-employed-stop"
RGTI_AFFILIATION: Final = "rgti-affiliation"
RGTI_ASSIMILATION: Final = "rgti-assimilation"
RGTI_CAREER: Final = "rgti-career"  # L302
TRACKING: Final = "tracking"
DIRECTORY: Final = "directory"  # I605
CONTRIBUTION_VOUCHER: Final = "contribution-voucher"  # A908
PENSION_VOUCHER: Final = "pension-voucher"
#: A911 to INAMI, and the notice to whoever hands a paper voucher to the person.
PAPER_VOUCHER: Final = "paper-voucher"
ANSWER: Final = "answer"
IDENTIFICATION_CORRECTION: Final = "identification-correction"
RESEND_REQUEST: Final = "resend-request"
PROVISIONAL_PROOF: Final = "provisional-proof"
INSURABILITY: Final = "insurability"  # L410
INSURABILITY_REQUEST: Final = "insurability-request"
INSURABILITY_ANSWER: Final = "insurability-answer"
INAMI_CASE: Final = "inami-case"
INTERVENTION_REQUEST: Final = "intervention-request"
INTERVENTION_ANSWER: Final = "intervention-answer"
CONSULTATIONS: Final = "consultations"


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """One flow: its name, the deliberation kinds the catalogue has for it, and the recipients
    that are tracked without a mailbox (``PAPER``)."""

    name: str
    kinds: frozenset[Action]
    tracked_only: tuple[str, ...] = ()

    @property
    def is_message(self) -> bool:
        """A flow that travels as a message (something receives it), not only a consultation
        or a write to a register."""
        return Action.RECEIVE in self.kinds


_S, _R, _C = Action.SEND, Action.RECEIVE, Action.CONSULT


def _spec(name: str, *kinds: Action, tracked_only: tuple[str, ...] = ()) -> FlowSpec:
    return FlowSpec(name, frozenset(kinds), tracked_only)


#: Every flow of the hub, by name.
FLOWS: Final[Mapping[str, FlowSpec]] = MappingProxyType(
    {
        s.name: s
        for s in (
            _spec(SELF_EMPLOYED_START, _S, _R),
            _spec(SELF_EMPLOYED_STOP, _S, _R),
            _spec(RGTI_AFFILIATION, _S),
            _spec(RGTI_ASSIMILATION, _S),
            _spec(RGTI_CAREER, _C),
            _spec(TRACKING, _C),
            _spec(DIRECTORY, _S, _C),
            _spec(CONTRIBUTION_VOUCHER, _S, _R, tracked_only=(PAPER,)),
            _spec(PENSION_VOUCHER, _S, _R),
            _spec(PAPER_VOUCHER, _S, _R),
            _spec(ANSWER, _S, _R),
            _spec(IDENTIFICATION_CORRECTION, _S, _R),
            _spec(RESEND_REQUEST, _S, _R),
            _spec(PROVISIONAL_PROOF, _S, _R),
            _spec(INSURABILITY, _S, _C),
            _spec(INSURABILITY_REQUEST, _R),
            _spec(INSURABILITY_ANSWER, _S, _R),
            _spec(INAMI_CASE, _S, _R, _C),
            _spec(INTERVENTION_REQUEST, _S, _R),
            _spec(INTERVENTION_ANSWER, _S, _R),
            _spec(CONSULTATIONS, _C),
        )
    }
)


def spec(flow: str) -> FlowSpec:
    """The registry's entry for ``flow``; ``KeyError`` naming the known flows for another."""
    try:
        return FLOWS[flow]
    except KeyError:
        raise KeyError(f"unknown flow {flow!r}; known flows: {', '.join(sorted(FLOWS))}") from None
