"""The rows of a set of keys read in one statement (``staging.rows_keyed``) are those whose key
is one of the keys exactly, on both databases: a key holding a comma or an empty key is not
split or dropped on its way to the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from carrefour.adapters.db import staging
from carrefour.bootstrap import Hub


@pytest.mark.parametrize(
    ("keys", "found"),
    [
        (["a", "b"], ["a", "b"]),
        (["a,b"], ["a,b"]),
        (["a,b", "c"], ["a,b", "c"]),
        ([""], [""]),
        (["", "c"], ["", "c"]),
        (["zz"], []),
    ],
)
def test_the_rows_of_a_set_of_keys_are_those_of_each_key_exactly(
    hub: Hub, keys: list[str], found: list[str]
) -> None:
    with hub.engine.connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE keyed (k VARCHAR(8) NOT NULL, status TEXT)")
        for key in ("a", "b", "c", "a,b", ""):
            conn.execute(text("INSERT INTO keyed (k, status) VALUES (:k, 'active')"), {"k": key})
        rows = staging.rows_keyed(conn, "keyed", "k", "k", keys, "status = 'active'")
        conn.rollback()
    assert sorted(k for (k,) in rows) == found
