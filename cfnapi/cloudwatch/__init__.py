"""CloudWatch: metric store, statistics, alarm evaluation and alarm actions.

- ``units``, ``sketch``, ``statistics``, ``evaluation``, ``metric_math``: pure functions.
- ``models`` / ``store``: pre-aggregated per-period rows, alarms, history, dashboards, tags.
- ``evaluator`` / ``actions``: the once-a-minute alarm loop and what it fires.
"""
