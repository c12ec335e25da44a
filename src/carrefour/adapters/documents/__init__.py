"""Printable documents: the paper contribution voucher and the provisional proof of insurability."""

from carrefour.adapters.documents.pdf import render_paper_voucher, render_provisional_proof

__all__ = ["render_paper_voucher", "render_provisional_proof"]
