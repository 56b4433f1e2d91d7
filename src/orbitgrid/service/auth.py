"""API keys: ``og_<id>_<secret>``, shown once, stored as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended option). A request's key is found by its id (the part after ``og_``) and verified with argon2; a key
verified once is kept in memory under its SHA-256, so later requests cost a dictionary lookup, not an argon2 hash
(a revoked key is dropped from that cache at once). The admin key may come from ``ORBITGRID_ADMIN_KEY``; otherwise
one is generated at first start, shown once and stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from orbitgrid.service import db

PREFIX = "og_"
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``tenant_id`` None is the admin."""

    key_id: str
    tenant_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.tenant_id is None


def new_key() -> tuple[str, str]:
    """A fresh ``(key id, full key)``."""
    kid = secrets.token_hex(6)
    return kid, f"{PREFIX}{kid}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    return _HASHER.hash(key)


class KeyStore:
    """Key verification with the in-memory cache of verified keys (module docstring)."""

    def __init__(self, env_admin_key: str | None) -> None:
        self._env_admin = env_admin_key
        self._cache: dict[bytes, Principal] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> Principal | None:
        """The caller of a key verified before (no database, no hash), else None."""
        return self._cache.get(hashlib.sha256(key.encode()).digest())

    def verify(self, session: Session, key: str) -> Principal | None:
        digest = hashlib.sha256(key.encode()).digest()
        hit = self._cache.get(digest)
        if hit is not None:
            return hit
        if self._env_admin is not None and hmac.compare_digest(key.encode(), self._env_admin.encode()):
            p = Principal("env-admin", None)
        else:
            if not key.startswith(PREFIX) or key.count("_") < 2:
                return None
            kid = key[len(PREFIX) :].split("_", 1)[0]
            row = session.get(db.ApiKey, kid)
            if row is None or row.revoked:
                return None
            try:
                _HASHER.verify(row.hash, key)
            except (VerificationError, InvalidHashError):
                return None
            p = Principal(kid, row.tenant_id)
        with self._lock:
            self._cache[digest] = p
        return p

    def forget(self, key_id: str) -> None:
        """Drop a revoked key from the cache."""
        with self._lock:
            for d in [d for d, p in self._cache.items() if p.key_id == key_id]:
                del self._cache[d]
