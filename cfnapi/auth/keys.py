"""Generating identifiers that look like AWS's, from a CSPRNG."""

from __future__ import annotations

import re
import secrets
import string

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

# What an operator may configure as an access key id ("test" is common with
# local emulators); generated ids are always AKIA + 16 characters.
ACCESS_KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,128}$")


def new_access_key_id() -> str:
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def new_account_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"
