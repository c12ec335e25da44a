"""Every curl example of README.md and docs/api.md, run in order against a fresh demo server
(``carrefour demo`` data in a temporary directory, a real ``carrefour serve`` subprocess), each
answer compared with the one the doc shows: its status, and the JSON keys the doc names.

- The shell variables of the docs (``$B``, ``$MUT``, ``$CAS``, ``$TOKEN``...) are set to the
  server's address and to the credentials ``carrefour demo`` printed; ``$REVOKED`` to a
  credential that does not exist. ``http://127.0.0.1:8000`` is the server's address.
- An id the doc shows (32 hex digits) and the real answer gives another value for, at the same
  key, is the real one's in every later command (a case id, a batch id, a document id).
- An answer is the ```json or plain block right after the command's block, or the ``# ...``
  comment lines under the command (README). The status compared is the doc's ``HTTP/1.1 NNN``
  line, or the ``status`` of a problem the doc shows; otherwise the answer must be a success.
- Keys: every ``"key":`` the doc's answer names must be a key somewhere in the real answer
  (answers shortened with ``…`` name fewer keys, never a wrong one).
- ``<!-- docs-test: status only -->`` or ``<!-- docs-test: not replayed: WHY -->`` on the line
  before an example's block (see ``MARKER``) relaxes the check for it, with the reason in the doc.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", ROOT / "docs" / "api.md")
DOC_URL = "http://127.0.0.1:8000"
#: The docs' credential variables and the institution each stands for.
VARIABLES = {
    "TOKEN": "mut-100",
    "MUT": "mut-100",
    "MUT300": "mut-300",
    "CAS": "cas-acerta",
    "INASTI": "inasti",
    "ONEM": "onem",
    "ONSS": "onss",
    "FEDRIS": "fedris",
    "SFP": "sfp",
    "CADASTRE": "pension-cadastre",
    "SCA": "inami-sca",
    "BCSS": "bcss",
}
#: The marker an author puts on the line before an example's block: ``status only`` (its answer
#: shows the state after steps the doc shows later: only the status is compared) or
#: ``not replayed: WHY`` (it needs data no earlier example creates: it is not run).
MARKER = re.compile(r"<!-- docs-test: (status only|not replayed: [^>]+) -->")
#: A one-page PDF for the case-document example (``@fiche-de-paie.pdf``).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@dataclass
class Example:
    source: str
    line: int
    command: str
    answer: str | None
    status_only: bool = False
    skip: bool = False


def _commands(block: str) -> list[tuple[int, str, list[str]]]:
    """(line offset, command, comment lines under it) of each curl command of a shell block."""
    found: list[tuple[int, str, list[str]]] = []
    lines = block.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("curl "):
            start = index
            parts = [line.rstrip()]
            while index + 1 < len(lines) and (
                parts[-1].endswith("\\") or "".join(parts).count("'") % 2
            ):  # a continued line, or a quoted body that goes on
                index += 1
                if parts[-1].endswith("\\"):
                    parts[-1] = parts[-1][:-1]
                parts.append(lines[index].rstrip())
            comments: list[str] = []
            while index + 1 < len(lines) and lines[index + 1].lstrip().startswith("#"):
                index += 1
                comments.append(lines[index].lstrip()[1:].strip())
            found.append((start, " ".join(p.strip() for p in parts), comments))
        index += 1
    return found


def examples(path: Path) -> list[Example]:
    result: list[Example] = []
    if path.exists():
        text = path.read_text(encoding="utf-8")
        blocks = list(re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M))
        for number, block in enumerate(blocks):
            language, body = block.group(1), block.group(2)
            if language not in ("sh", "bash", "") or "curl " not in body:
                continue
            commands = _commands(body)
            following = blocks[number + 1] if number + 1 < len(blocks) else None
            between = text[block.end() : following.start()] if following else ""
            answer_block = (
                following.group(2)
                if following is not None
                and between.strip() == ""
                and "curl " not in following.group(2)
                else None
            )
            first_line = text[: block.start()].count("\n") + 2
            before = text[: block.start()].rstrip().rsplit("\n", 1)[-1]
            marker = MARKER.fullmatch(before.strip())
            for position, (offset, command, comments) in enumerate(commands):
                answer = " ".join(comments) if comments else None
                if answer is None and position == len(commands) - 1:
                    answer = answer_block
                result.append(
                    Example(
                        path.name,
                        first_line + offset,
                        command,
                        answer,
                        status_only=bool(marker and marker.group(1) == "status only"),
                        skip=bool(marker and marker.group(1).startswith("not replayed")),
                    )
                )
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]
    folder: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("docs")
    env = {
        **os.environ,
        "CARREFOUR_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "CARREFOUR_SIGNING_KEY": str(folder / "signing.key"),
        "CARREFOUR_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "carrefour.cli.main"]
    loaded = subprocess.run(  # noqa: S603 - our own command
        [*command, "demo", "--no-serve"],
        env=env, capture_output=True, text=True, check=True, timeout=300, cwd=folder,
    )  # fmt: skip
    credentials = dict(re.findall(r"^  (\S+) (cf_\S+)$", loaded.stdout, re.M))
    return Demo(folder, env, credentials)


@dataclass
class Demo:
    folder: Path
    env: dict[str, str]
    credentials: dict[str, str]


@contextmanager
def serving(demo: Demo, name: str) -> Iterator[Server]:
    """A server on a copy of the demo's database, for one document."""
    folder = demo.folder / name
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):
        if (demo.folder / f"demo.db{suffix}").exists():
            shutil.copyfile(demo.folder / f"demo.db{suffix}", folder / f"demo.db{suffix}")
    port = _free_port()
    env = {
        **demo.env,
        "CARREFOUR_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "CARREFOUR_PORT": str(port),
    }
    command = [sys.executable, "-m", "carrefour.cli.main", "serve"]
    (folder / "fiche-de-paie.pdf").write_bytes(PDF)
    process = subprocess.Popen(command, env=env, cwd=folder)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    credentials = demo.credentials
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        shell = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(folder),
            "B": url,
            "J": "Content-Type: application/json",
            "REVOKED": "cf_0000000000000000_" + "x" * 43,
        }
        shell.update({name: credentials[inst] for name, inst in VARIABLES.items()})
        yield Server(url, shell, folder)
    finally:
        process.terminate()
        process.wait(timeout=20)


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def pairs_of(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from pairs_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from pairs_of(item)


def expected_status(answer: str) -> int | None:
    if found := re.search(r"HTTP/1\.1 (\d{3})", answer):
        return int(found.group(1))
    if "urn:carrefour:problem:" in answer and (found := re.search(r'"status":\s*(\d{3})', answer)):
        return int(found.group(1))
    return None


def body_of(output: str) -> Any:
    """The JSON body at the end of curl's output (after any headers ``-i`` printed)."""
    text = output.strip()
    for start in (i for i, c in enumerate(text) if c in "{["):
        try:
            return json.loads(text[start:])
        except ValueError:
            continue
    return None


def run(example: Example, server: Server, ids: dict[str, str]) -> tuple[int, Any]:
    command = example.command.replace(DOC_URL, server.url)
    command = command.replace("@tests/", f"@{ROOT / 'tests'}/")
    for doc_id, real in ids.items():
        command = command.replace(doc_id, real)
    done = subprocess.run(  # noqa: S603 - the docs' own examples, against a test server
        ["bash", "-c", command + " -w '\\n%{http_code}'"],  # noqa: S607 - bash from PATH
        env=server.env, capture_output=True, text=True, timeout=30, cwd=server.folder,
    )  # fmt: skip
    output, _, status = done.stdout.rpartition("\n")
    return int(status or 0), body_of(output)


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_every_curl_example_of_the_docs_answers_as_shown(demo: Demo, document: Path) -> None:
    found = examples(document)
    assert found, f"no curl example in {document.name}"
    with serving(demo, document.stem) as server:
        failures = replay(found, server)
    assert not failures, "\n".join(failures)


def replay(found: list[Example], server: Server) -> list[str]:
    """Run the examples in order; what differs from the doc."""
    ids: dict[str, str] = {}
    failures: list[str] = []
    for example in found:
        if example.skip:
            continue
        status, body = run(example, server, ids)
        where = f"{example.source}:{example.line} {example.command[:90]}"
        answer = example.answer or ""
        wanted = expected_status(answer)
        if example.status_only:
            answer = ""
            wanted = None
        if wanted is not None and status != wanted:
            failures.append(f"{where}: status {status}, the doc shows {wanted}: {body}")
            continue
        if wanted is None and not 200 <= status < 400:
            failures.append(f"{where}: status {status}: {body}")
            continue
        if not answer or body is None:
            continue
        named = set(re.findall(r'"([a-z_][a-z0-9_]*)"\s*:', answer))
        missing = named - keys_of(body)
        if missing:
            failures.append(f"{where}: keys {sorted(missing)} not in the answer {body}")
        shown = re.findall(r'"([a-z_][a-z0-9_]*)"\s*:\s*"([0-9a-f]{32})"', answer)
        real: dict[str, list[Any]] = {}
        for key, value in pairs_of(body):
            real.setdefault(key, []).append(value)
        seen: dict[str, int] = {}
        for key, doc_id in shown:  # the n-th id shown at a key is the n-th one answered
            index = seen[key] = seen.get(key, -1) + 1
            values = real.get(key, [])
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and value != doc_id and doc_id not in ids:
                ids[doc_id] = value
        if match := re.search(r"location: \S*?([0-9a-f]{32})", answer):
            ids.setdefault(match.group(1), match.group(1))
    return failures
