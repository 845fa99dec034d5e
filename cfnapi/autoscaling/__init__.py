"""Auto Scaling: groups of servers kept at a desired size, scaling policies that
alarms trigger, scheduled actions, and health checks that replace failed members.

The resource types in ``cfnapi.translate.autoscaling`` write a group's wanted
state here; the ``ScalingWorker`` (run beside the stack workers) makes the
cloud match it and records each activity as a stack event on the group.
"""
