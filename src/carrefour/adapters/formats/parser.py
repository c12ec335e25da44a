"""The batch parser behind the services' ``BatchParser`` port."""

from __future__ import annotations

from datetime import date

from carrefour.adapters.formats.batch import BatchFormatError, Content, ParsedBatch, parse_batch
from carrefour.domain.errors import InvalidBatch


class FormatsBatchParser:
    """Reads JSON Lines and fixed-width batch files (docs/formats.md), whole or in pieces; JSON
    Lines records are parsed as the batch iterates them, a piece of the file at a time."""

    def parse(self, content: Content, *, format: str | None, today: date) -> ParsedBatch:
        try:
            return parse_batch(content, format=format, today=today, stream=True)
        except BatchFormatError as error:
            raise InvalidBatch(
                f"unusable batch file: {error.message}", reason=error.code, line=error.line
            ) from None
