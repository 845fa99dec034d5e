import os

# Never let an AWS client look for the instance metadata service (169.254.169.254).
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


import pytest  # noqa: E402

from cfnapi.testing.postgres import scratch_schema_url  # noqa: E402


@pytest.fixture
def postgres_url():
    """A URL on a fresh PostgreSQL schema, dropped afterwards; skips when no server is reachable."""
    context = scratch_schema_url()
    try:
        url = context.__enter__()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield url
    finally:
        context.__exit__(None, None, None)
