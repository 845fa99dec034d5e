"""Signals sent the way heat-cfntools' cfn-signal sends them, with curl."""

from __future__ import annotations

import json
import subprocess


def curl_wait_condition_signal(handle_url: str, *, unique_id: str, status: str = "SUCCESS",
                               reason: str = "signalled by the conformance suite", data: str = "") -> str:
    """PUT a JSON body with an empty Content-Type to a WaitConditionHandle's presigned URL."""
    body = json.dumps({"Status": status, "Reason": reason, "UniqueId": unique_id, "Data": data})
    result = subprocess.run(
        ["curl", "-sS", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
         "-H", "Content-Type:", "--data-binary", body, handle_url],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr.strip()
    assert result.stdout == "200", f"curl PUT answered HTTP {result.stdout}"
    return f"curl PUT -> {result.stdout}"
