"""The console's users, sessions and paused recipients in SQL (``tables_console``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from carrefour.adapters.db import tables_console as tc
from carrefour.domain.console import ConsoleSession, ConsoleUser, Role


def _user(row: Any) -> ConsoleUser:
    return ConsoleUser(
        name=row.name,
        role=Role(row.role),
        institution=row.institution,
        password_hash=row.password_hash,
        language=row.language,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


class SqlConsoleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # users
    def add_user(self, user: ConsoleUser) -> None:
        self._conn.execute(
            insert(tc.console_users).values(
                name=user.name,
                role=user.role.value,
                institution=user.institution,
                password_hash=user.password_hash,
                language=user.language,
                created_at=user.created_at,
                disabled_at=user.disabled_at,
            )
        )

    def user(self, name: str) -> ConsoleUser | None:
        row = self._conn.execute(
            select(tc.console_users).where(tc.console_users.c.name == name)
        ).first()
        return None if row is None else _user(row)

    def users(self) -> list[ConsoleUser]:
        rows = self._conn.execute(select(tc.console_users).order_by(tc.console_users.c.name))
        return [_user(row) for row in rows]

    def update_user(self, name: str, **values: Any) -> None:
        self._conn.execute(
            update(tc.console_users).where(tc.console_users.c.name == name).values(**values)
        )

    # sessions
    def add_session(self, session: ConsoleSession) -> None:
        self._conn.execute(
            insert(tc.console_sessions).values(
                id_hash=session.id_hash,
                user_name=session.user,
                role=session.role.value,
                institution=session.institution,
                language=session.language,
                csrf=session.csrf,
                created_at=session.created_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )

    def session(self, id_hash: str) -> ConsoleSession | None:
        row = self._conn.execute(
            select(tc.console_sessions).where(tc.console_sessions.c.id_hash == id_hash)
        ).first()
        if row is None:
            return None
        return ConsoleSession(
            id_hash=row.id_hash,
            user=row.user_name,
            role=Role(row.role),
            institution=row.institution,
            language=row.language,
            csrf=row.csrf,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )

    def set_session_language(self, id_hash: str, language: str) -> None:
        self._conn.execute(
            update(tc.console_sessions)
            .where(tc.console_sessions.c.id_hash == id_hash)
            .values(language=language)
        )

    def revoke_session(self, id_hash: str, at: datetime) -> None:
        self._conn.execute(
            update(tc.console_sessions)
            .where(tc.console_sessions.c.id_hash == id_hash)
            .where(tc.console_sessions.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def revoke_sessions_of(self, user: str, at: datetime) -> int:
        result = self._conn.execute(
            update(tc.console_sessions)
            .where(tc.console_sessions.c.user_name == user)
            .where(tc.console_sessions.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)

    # paused push recipients
    def pause(self, institution: str, by: str, at: datetime) -> bool:
        if self.paused_at(institution) is not None:
            return False
        self._conn.execute(
            insert(tc.paused_recipients).values(institution=institution, paused_by=by, paused_at=at)
        )
        return True

    def resume(self, institution: str) -> bool:
        result = self._conn.execute(
            delete(tc.paused_recipients).where(tc.paused_recipients.c.institution == institution)
        )
        return bool(result.rowcount)

    def paused_at(self, institution: str) -> datetime | None:
        value: datetime | None = self._conn.execute(
            select(tc.paused_recipients.c.paused_at).where(
                tc.paused_recipients.c.institution == institution
            )
        ).scalar()
        return value

    def paused(self) -> dict[str, datetime]:
        rows = self._conn.execute(select(tc.paused_recipients))
        return {row.institution: row.paused_at for row in rows}
