"""Conformance: real clients against a running cfnapi, reported as a table.

Run with ``.venv/bin/python -m conformance`` (``scripts/test`` does). Every
row drives the server only through a real client: boto3, the AWS CLI,
boto 2, curl. The report ends with ``N passed, N failed, N skipped``;
skipped rows are visible ("unsupported: [types]") and never hidden.
"""
