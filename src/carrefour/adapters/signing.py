"""Ed25519 signatures for tracking checkpoints, with the private key in a file outside the
database (created on first use, readable by its owner only)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class Ed25519FileSigner:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    @property
    def available(self) -> bool:
        """Whether the key exists (checking a signature needs it; signing creates it)."""
        return self._key is not None or self.path.exists()

    def _private(self, *, create: bool) -> Ed25519PrivateKey:
        if self._key is None:
            if self.path.exists():
                loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
                if not isinstance(loaded, Ed25519PrivateKey):
                    raise ValueError(f"{self.path} does not hold an Ed25519 private key")
                self._key = loaded
            elif create:
                key = Ed25519PrivateKey.generate()
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                self.path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as file:
                    file.write(pem)
                self._key = key
            else:
                raise FileNotFoundError(f"no signing key at {self.path}")
        return self._key

    def public_key(self) -> str:
        raw = (
            self._private(create=False)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return raw.hex()

    def sign(self, document: bytes) -> tuple[str, str]:
        """(signature, public key), both hex; creates the key on first use."""
        key = self._private(create=True)
        return key.sign(document).hex(), self.public_key()

    def verify(self, document: bytes, signature: str) -> bool:
        public: Ed25519PublicKey = self._private(create=False).public_key()
        try:
            public.verify(bytes.fromhex(signature), document)
        except (InvalidSignature, ValueError):
            return False
        return True


def verify_signature(public_key: str, document: bytes, signature: str) -> bool:
    """Whether ``signature`` (hex) of ``document`` is good for the Ed25519 ``public_key`` (hex,
    raw): what checking a tracking bundle needs, and nothing more."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(signature), document
        )
    except (InvalidSignature, ValueError):
        return False
    return True
