"""CloudWatch units: the StandardUnit set and the spellings old agents send.

heat-cfntools' cfn-push-stats sends ``Counter`` and lowercase ``megabytes``;
Heat's CloudWatch API accepted them, so cfnapi normalises them rather than
rejecting data from agents that already run in instances.
"""

from __future__ import annotations

from cfnapi.errors import ServiceError

STANDARD_UNITS = (
    "Seconds", "Microseconds", "Milliseconds",
    "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
    "Count/Second", "None",
)

_BY_LOWER = {unit.lower(): unit for unit in STANDARD_UNITS}
# Legacy spellings (Heat / cfn-push-stats era) mapped onto AWS's names.
_ALIASES = {"counter": "Count", "counters": "Count", "percentage": "Percent"}


def normalise_unit(unit: str | None) -> str | None:
    """Return the StandardUnit spelling of ``unit``; None stays None.

    Raises InvalidParameterValue for anything that is not a unit.
    """
    if unit is None:
        return None
    key = unit.strip().lower()
    if key in _BY_LOWER:
        return _BY_LOWER[key]
    if key in _ALIASES:
        return _ALIASES[key]
    raise ServiceError(
        "InvalidParameterValue",
        f"The parameter Unit must be a value in the set {list(STANDARD_UNITS)}.",
    )
