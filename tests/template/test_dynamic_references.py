import pytest

from cfnapi.template.dynamic_references import resolve_dynamic_references
from cfnapi.template.errors import TemplateError


class Store:
    def __init__(self, values):
        self.values = values

    def get(self, name):
        return self.values.get(name)


def test_ssm_references_are_replaced_inside_nested_strings():
    store = Store({"/app/image": "ubuntu-22.04", "/app/size": "t3.small"})
    props = {"ImageId": "{{resolve:ssm:/app/image}}",
             "Tags": [{"Key": "size", "Value": "is {{resolve:ssm:/app/size:3}} today"}], "Count": 2}
    assert resolve_dynamic_references(props, store) == {
        "ImageId": "ubuntu-22.04", "Tags": [{"Key": "size", "Value": "is t3.small today"}], "Count": 2}


def test_missing_parameter_is_named_like_cloudformation():
    with pytest.raises(TemplateError) as caught:
        resolve_dynamic_references({"A": "{{resolve:ssm:/nope}}"}, Store({}))
    assert caught.value.message == "Parameters: [/nope] cannot be found."


def test_secretsmanager_fails_plainly_instead_of_leaking_the_literal():
    with pytest.raises(TemplateError) as caught:
        resolve_dynamic_references("{{resolve:secretsmanager:db:SecretString:password}}", Store({}))
    assert "secretsmanager" in caught.value.message


def test_strings_without_references_pass_untouched():
    assert resolve_dynamic_references({"A": "{{ not a reference }}"}, None) == {"A": "{{ not a reference }}"}
