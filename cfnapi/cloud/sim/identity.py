"""Real-looking identifiers the sim hands out: UUIDs, Neutron MACs, key fingerprints."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_id() -> str:
    return str(uuid.uuid4())


def new_mac_address() -> str:
    """Neutron's default base MAC is fa:16:3e with three random octets."""
    return "fa:16:3e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def public_key_fingerprint(public_key: str) -> str | None:
    """Nova's fingerprint: colon-separated MD5 of the key blob; None if the key is malformed."""
    parts = public_key.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def generate_ssh_keypair(comment: str) -> tuple[str, str]:
    """A fresh RSA pair as Nova generates it: (OpenSSH public key, PEM private key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return f"{public} {comment}", private_pem
