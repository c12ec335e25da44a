"""Batch file formats for contribution vouchers: JSON Lines and fixed-width records.

See docs/formats.md. ``parse_batch`` reads either (or detects which); ``write_fixed`` and
``write_jsonl`` build files.
"""

from carrefour.adapters.formats.batch import (
    BATCH_FORMATS,
    FORMAT_ERROR_CODES,
    BatchFormatError,
    BatchRecord,
    ParsedBatch,
    detect_format,
    parse_batch,
)
from carrefour.adapters.formats.fixedwidth import parse_fixed, write_fixed
from carrefour.adapters.formats.jsonlines import parse_jsonl, write_jsonl

__all__ = [
    "BATCH_FORMATS",
    "FORMAT_ERROR_CODES",
    "BatchFormatError",
    "BatchRecord",
    "ParsedBatch",
    "detect_format",
    "parse_batch",
    "parse_fixed",
    "parse_jsonl",
    "write_fixed",
    "write_jsonl",
]
