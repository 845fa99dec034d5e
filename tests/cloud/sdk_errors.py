"""openstacksdk exceptions as the SDK raises them, for tests at the SDK boundary."""

import requests


def http_error(cls, status, body):
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    return cls(message="x", response=response, details=body)
