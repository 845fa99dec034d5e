"""cfnapi: a CloudFormation- and CloudWatch-compatible API gateway for OpenStack."""

__version__ = "0.1.0"
