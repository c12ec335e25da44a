"""Requests of one caller sent at the same time with the same Message Reference: one is
processed, every other gets its reply and ticket, none an error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from lxml import etree

from carrefour.bootstrap import Hub
from carrefour.services import gateway
from tests.gateway.test_connector import CPAS, SSIN, C, S, reasons, ssdn

AT_ONCE = 6


def test_the_same_reference_sent_at_once_is_processed_once(hub: Hub) -> None:
    start = threading.Barrier(AT_ONCE)
    xml = ssdn(reference="at-once")

    def send() -> str:
        with hub.uow() as uow:
            caller = uow.catalogue.institution(CPAS)
            start.wait()
            return gateway.send_xml(uow, caller=caller, xml=xml, codec=hub.ssdn_codec)

    with ThreadPoolExecutor(AT_ONCE) as pool:
        replies = [etree.fromstring(x.encode()) for x in pool.map(lambda _: send(), range(AT_ONCE))]
    tickets = {r.findtext(f"{S}ReplyContext/{S}Message/{S}Ticket") for r in replies}
    assert all(reasons(r) == [] for r in replies), [reasons(r) for r in replies]
    codes = {r.findtext(f"{S}ReplyContext/{C}ResultSummary/{C}ReturnCode") for r in replies}
    assert len(tickets) == 1, tickets
    assert codes == {"0"}
    with hub.uow() as uow:
        lines = [line for line in uow.directory.lines_of(SSIN) if line.institution == CPAS]
        uow.commit()
    assert len(lines) == 1
