"""Password hashing (argon2id) and signed, expiring bearer tokens (JWT, HS256) with key ids.

Every token names its signing key in the `kid` header, so keys rotate without logging anyone out:
the current key signs, retired keys keep verifying what they signed until it expires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_ALGORITHM = "HS256"
_ISSUER = "docketflow"
MIN_PASSWORD_LENGTH = 8
DEFAULT_KEY_ID = "k1"  # Settings.token_key_id's default


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than the current ones (then the login
    that just proved the password stores a fresh hash: parameters follow the library's advice)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


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
    signing_key: tuple[str, str] | str,
    user_id: str,
    token_version: int,
    ttl: timedelta,
    now: datetime | None = None,
) -> str:
    """A token signed by `signing_key` = (kid, secret); a bare secret signs as `DEFAULT_KEY_ID`."""
    kid, secret = (DEFAULT_KEY_ID, signing_key) if isinstance(signing_key, str) else signing_key
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "ver": token_version,  # bumped on disable / password change, which revokes old tokens
        "iss": _ISSUER,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM, headers={"kid": kid})


def read_token(keys: Mapping[str, str], token: str) -> TokenClaims:
    """Verify with the key the token names (`keys`: kid -> secret, current and retired)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        secret = keys.get(kid) if isinstance(kid, str) else None
        if secret is None:
            raise InvalidTokenError("unknown signing key")
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["sub", "exp", "iat", "ver"]},
        )
        return TokenClaims(
            user_id=str(claims["sub"]),
            token_version=int(claims["ver"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (jwt.PyJWTError, TypeError, ValueError) as error:
        raise InvalidTokenError(str(error)) from error
