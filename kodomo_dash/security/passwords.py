"""Password policy (OWASP ASVS 5.0, V6.2) and bcrypt hashing.

Why these rules:
* Minimum 12 characters. ASVS 5 requires at least 8 and strongly recommends 15 for
  single-factor accounts; every kodomo-dash account also needs a TOTP code, so 12 keeps
  passphrases practical for staff typing them many times a day while staying well above
  the floor. Length is counted after NFKC, so a full-width 'Ａ' counts like 'A'.
* No composition rules (no "one upper case, one digit" as streamlit-authenticator's own
  validator demands): ASVS 5 forbids them, they push people to predictable patterns.
* A refusal list: common passwords, the same with digits/symbols added around them,
  context words (the user name, the product) and trivial repeats/sequences.
* Maximum: 72 bytes of UTF-8, because bcrypt refuses more (bcrypt 5 raises instead of
  silently truncating). ASVS asks that at least 64 characters be allowed: 72 ASCII
  characters are, but a Japanese character is 3 bytes, so a kana/kanji passphrase stops
  at 24 characters. We say so in Japanese rather than truncate (truncating would let a
  different long password with the same first 72 bytes log in).
* NFKC normalisation before hashing and checking, so half-/full-width IME differences in
  digits and Latin letters do not lock staff out (NIST SP 800-63B recommends it).
* No leading/trailing spaces: the streamlit-authenticator login widget strips them before
  checking, so such a password could never be typed back.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import bcrypt

from kodomo_dash.config.messages import CodedError, Joined, Message, msg

MIN_LENGTH = 12
MAX_BYTES = 72  # bcrypt's hard limit
BCRYPT_ROUNDS = 12
COMMON_PASSWORDS_PATH = Path(__file__).with_name("common_passwords.txt")
CONTEXT_WORDS = ("kodomo", "kodomodash", "kodomo-dash", "こども", "子ども", "子供", "パスワード")

HINT_JA = (
    f"{MIN_LENGTH}文字以上で、推測されにくい長い文（パスフレーズ）がおすすめです。"
    "英大文字・数字・記号を混ぜる必要はありません。"
    f"上限はUTF-8で{MAX_BYTES}バイト（半角英数字は{MAX_BYTES}文字、全角文字は{MAX_BYTES // 3}文字）です。"
)


class PasswordRejected(CodedError, ValueError):
    """The password breaks the policy; .messages lists every reason (Messages), str() in Japanese."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        super().__init__(Joined(tuple(messages)))


def normalise(password: str) -> str:
    """NFKC: the form that is measured, hashed and checked."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(normalise(x).strip().lower() for x in lines if x.strip() and not x.startswith("#"))


_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.UNICODE)


def _is_trivial(pw: str) -> bool:
    """A short unit repeated (aaaa…, abab…, abcabc…) or one ascending/descending run."""
    for unit in range(1, 5):
        if len(pw) % unit == 0 and pw == pw[:unit] * (len(pw) // unit):
            return True
    steps = {ord(b) - ord(a) for a, b in zip(pw, pw[1:], strict=False)}
    return steps in ({1}, {-1})


def check_policy(password: str, username: str | None = None) -> list[Message]:
    """Every reason the password is refused (Messages, str() Japanese); an empty list means accepted."""
    problems: list[Message] = []
    if password != password.strip():
        problems.append(msg("pw.surrounding_space"))
    pw = normalise(password)
    if any(unicodedata.category(ch) == "Cc" for ch in pw):
        problems.append(msg("pw.control_chars"))
    n_bytes = len(pw.encode("utf-8"))
    if len(pw) < MIN_LENGTH:
        problems.append(msg("pw.too_short", min=MIN_LENGTH, n=len(pw)))
    if n_bytes > MAX_BYTES:
        problems.append(msg("pw.too_long", max=MAX_BYTES, n=n_bytes))
    low = pw.lower()
    if pw:
        base = _AROUND.match(low).group(1)
        if low in common_passwords() or (base and base in common_passwords()):
            problems.append(msg("pw.common"))
        elif _is_trivial(low):
            problems.append(msg("pw.trivial"))
    if username and len(username) >= 3 and normalise(username).lower() in low:
        problems.append(msg("pw.username"))
    if any(w in low for w in CONTEXT_WORDS):
        problems.append(msg("pw.context_words"))
    return problems


def hash_password(password: str, username: str | None = None, rounds: int = BCRYPT_ROUNDS) -> str:
    """Check the policy and return a bcrypt hash of the NFKC form (PasswordRejected if not)."""
    problems = check_policy(password, username)
    if problems:
        raise PasswordRejected(problems)
    return bcrypt.hashpw(normalise(password).encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """True if `password` matches; over-long or malformed input is a clean False, never an error."""
    try:
        pw = normalise(password).encode("utf-8")
        if len(pw) > MAX_BYTES:
            return False
        return bcrypt.checkpw(pw, hashed.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        return False
