"""Writing the AWS shared-credentials file (``~/.aws/credentials``) for a key."""

from __future__ import annotations

import configparser
import io
import os
import tempfile
from pathlib import Path

from cfnapi.auth.credential import Credential


def write_shared_credentials_file(path: str | os.PathLike, credential: Credential, profile: str = "default") -> None:
    """Put ``credential`` under ``[profile]`` in an AWS shared-credentials file.

    Other profiles already in the file are kept (comments are not: the file is
    re-serialised). The file is written to a temporary file first and renamed
    over the old one, so a crash never leaves half a file, and it is mode 0600
    from the moment it exists because it holds a secret.
    """
    target = Path(path).expanduser()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    # Raw: a '%' in a secret must not be taken for interpolation.
    config = configparser.RawConfigParser()
    if target.exists():
        config.read(target, encoding="utf-8")
    if not config.has_section(profile):
        config.add_section(profile)
    config.set(profile, "aws_access_key_id", credential.access_key_id)
    config.set(profile, "aws_secret_access_key", credential.secret_access_key)
    config.set(profile, "aws_account_id", credential.account_id)

    text = io.StringIO()
    config.write(text)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", text=True)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
