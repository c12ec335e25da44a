"""The PDF renderer behind the services' ``DocumentRenderer`` port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from carrefour.adapters.documents.pdf import render_paper_voucher, render_provisional_proof
from carrefour.domain.catalogue import Institution


class PdfRenderer:
    def paper_voucher(
        self,
        *,
        document_id: str,
        sender: Institution,
        niss_formatted: str,
        kind_fr: str,
        kind_nl: str,
        period_label: str,
        fields: Sequence[tuple[str, str, str]],
        reason_fr: str,
        reason_nl: str,
        message_id: str,
        issued_at: datetime,
    ) -> bytes:
        return render_paper_voucher(
            document_id=document_id,
            sender_name_fr=sender.name_fr,
            sender_name_nl=sender.name_nl,
            sender_enterprise_number=sender.enterprise_number,
            niss_formatted=niss_formatted,
            kind_fr=kind_fr,
            kind_nl=kind_nl,
            period_label=period_label,
            fields=fields,
            reason_fr=reason_fr,
            reason_nl=reason_nl,
            message_id=message_id,
            issued_at=issued_at,
        )

    def provisional_proof(
        self,
        *,
        document_id: str,
        niss_formatted: str,
        mutuality: Institution,
        case_id: str,
        valid_from: date,
        valid_until: date,
        reason: str,
        issued_at: datetime,
    ) -> bytes:
        return render_provisional_proof(
            document_id=document_id,
            niss_formatted=niss_formatted,
            mutuality_name_fr=mutuality.name_fr,
            mutuality_name_nl=mutuality.name_nl,
            case_id=case_id,
            valid_from=valid_from,
            valid_until=valid_until,
            reason=reason,
            issued_at=issued_at,
        )
