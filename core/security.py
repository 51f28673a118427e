"""Password hashing (argon2id) and signed, expiring bearer tokens (JWT, HS256)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_ALGORITHM = "HS256"
_ISSUER = "docketflow"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    token_version: int
    expires_at: datetime


class InvalidTokenError(Exception):
    """The token is malformed, forged, or expired."""


def issue_token(
    secret: str, user_id: str, token_version: int, ttl: timedelta, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "ver": token_version,  # bumped on disable / password change, which revokes old tokens
        "iss": _ISSUER,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(secret: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["sub", "exp", "iat", "ver"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from error
    return TokenClaims(
        user_id=str(claims["sub"]),
        token_version=int(claims["ver"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
