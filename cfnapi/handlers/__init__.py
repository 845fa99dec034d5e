"""One small method per API operation, grouped by service.

A handler method is named after the operation in botocore's snake_case
(``DescribeStacks`` -> ``describe_stacks``), takes the request context and the
parsed params (a dict exactly as botocore's client would have been given
them), and returns the result dict as botocore's client would return it
(without ``ResponseMetadata``). It raises ``ServiceError`` for AWS errors.
"""
