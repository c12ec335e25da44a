"""Personal data and credentials out of the logs.

Every log line the hub writes goes through ``mask``: a NISS, in a path (``/v1/rgti/careers/
68060105329``), a query string or a field, keeps only its birth date (``680601-xxx-xx``); a
bearer credential or a ``token=`` parameter becomes ``[redacted]``, and so does any field named
like a secret. Two entry points use it: a structlog processor for the application's own events,
and a ``logging.Filter`` on uvicorn's access and error logs (and the root handlers).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

#: A NISS written plain (11 digits) or formatted (``68.06.01-053.29``), not inside a longer
#: number or identifier.
NISS = re.compile(
    r"(?<![0-9A-Za-z])(\d{2})\.?(\d{2})\.?(\d{2})[-. ]?\d{3}[-. ]?\d{2}(?![0-9A-Za-z])"
)
BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
SECRET_PARAMETER = re.compile(
    r"(?i)\b(token|credential|password|secret|api[_-]?key|session)=([^&\s\"',;]+)"
)
#: Fields whose value is never logged, whatever it looks like.
SECRET_FIELDS = frozenset(
    {"authorization", "token", "credential", "password", "secret", "cookie", "api_key"}
)
REDACTED = "[redacted]"
#: Loggers whose handlers get the filter (uvicorn's own, and the root).
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


def mask(text: str) -> str:
    """``text`` with every NISS reduced to its birth date and every credential redacted."""
    text = NISS.sub(r"\1\2\3-xxx-xx", text)
    text = BEARER.sub(r"\1" + REDACTED, text)
    return SECRET_PARAMETER.sub(r"\1=" + REDACTED, text)


def mask_value(value: Any) -> Any:
    """A log field's value, masked through strings, mappings and sequences."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if str(key).lower() in SECRET_FIELDS else mask_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(mask_value(item) for item in value)
    return value


def mask_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """The structlog processor: every field masked, secret fields redacted."""
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if key.lower() in SECRET_FIELDS else mask_value(value)
    return event_dict


class MaskingFilter(logging.Filter):
    """Masks a standard-library record in place: its message and each of its arguments (uvicorn's
    access line is ``'%s - "%s %s HTTP/%s" %d'`` with the path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_value(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = mask_value(record.args)
        return True


def install_log_masking() -> None:
    """Mask every log line of this process: structlog's processors and the handlers (and
    loggers) of uvicorn and the root. Safe to call more than once."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_event,
            structlog.processors.JSONRenderer(),
        ]
    )
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, MaskingFilter) for f in target.filters):
                target.addFilter(MaskingFilter())
