"""A message's canonical payload (what its digest and tracking entries cover) is the bytes of
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, whether the domain's
standard-library encoder or the publishing path's fast one writes it: a digest computed by
another program from the stored JSON must match."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carrefour.domain.messages import canonical_payload, payload_digest
from carrefour.services.messages import canonical_bytes, encode

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)))  # lone surrogates are not text
)
flat = st.dictionaries(st.text(max_size=12), scalars, max_size=12)
nested = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=5,
)


def standard(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@settings(max_examples=400)
@given(flat)
def test_a_flat_payload_is_the_standard_librarys_bytes(payload: dict[str, Any]) -> None:
    assert canonical_bytes(payload) == canonical_payload(payload) == standard(payload)


@settings(max_examples=150)
@given(nested)
def test_a_nested_payload_is_the_standard_librarys_bytes(payload: dict[str, Any]) -> None:
    assert canonical_bytes(payload) == canonical_payload(payload) == standard(payload)


plain_values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.just(0.0)
    | st.floats(min_value=1e-4, max_value=1e16, exclude_max=True)
    | st.floats(min_value=-1e16, max_value=-1e-4, exclude_min=True)
    | st.text(st.characters(exclude_categories=("Cs",)))
)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=12), plain_values, max_size=12))
def test_a_plain_payload_with_sorted_keys_is_written_as_it_is(payload: dict[str, Any]) -> None:
    ordered = dict(sorted(payload.items()))
    assert canonical_bytes(ordered, plain=True) == standard(payload)
    assert encode(ordered, plain=True).digest == payload_digest(payload)


def test_floats_written_with_an_exponent_keep_the_standard_form() -> None:
    payload = {"big": 1e16, "small": 1e-05, "huge": 1.5e300, "plain": 456.5, "zero": -0.0}
    assert (
        canonical_bytes(payload)
        == canonical_payload(payload)
        == (b'{"big":1e+16,"huge":1.5e+300,"plain":456.5,"small":1e-05,"zero":-0.0}')
    )


def test_the_digest_covers_sorted_keys_without_spaces() -> None:

    payload = {"niss": "68060105329", "days_worked": 60, "resumption": False, "end": None}
    text = b'{"days_worked":60,"end":null,"niss":"68060105329","resumption":false}'
    assert canonical_bytes(payload) == canonical_payload(payload) == text
    assert encode(payload).digest == payload_digest(payload) == hashlib.sha256(text).hexdigest()
    assert encode(payload).text == text.decode()
