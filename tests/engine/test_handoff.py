"""CreateStack's compiled definition is handed to the worker instead of compiled again."""

from cfnapi.engine.handoff import DefinitionHandOff
from cfnapi.engine.definition import SimpleDefinition


def _definition(**values):
    return SimpleDefinition(resources={}, properties_resolver=None, parameter_values=dict(values))


def test_the_worker_compiles_nothing_for_a_create_the_api_compiled(cfn, monkeypatch):
    compiled = []
    real = type(cfn.runtime.compiler).compile

    def counting(self, body, parameters, identity, **kw):
        compiled.append(identity.stack_name)
        return real(self, body, parameters, identity, **kw)

    monkeypatch.setattr(type(cfn.runtime.compiler), "compile", counting)
    cfn.create("handed", {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}})
    assert cfn.status("handed") == "CREATE_COMPLETE"
    assert compiled == ["handed"]  # CreateStack's own compile only
    cfn.call("delete_stack", StackName="handed")
    cfn.worker.run_until_idle()
    assert compiled == ["handed", "handed"]  # the delete compiles: nothing was kept for it


def test_only_the_same_body_and_parameters_get_the_kept_definition_and_only_once():
    handoff = DefinitionHandOff()
    kept = _definition(P="1")
    handoff.keep("s1", "body", kept)
    assert handoff.take("s1", "other body", {"P": "1"}) is None
    handoff.keep("s1", "body", kept)
    assert handoff.take("s1", "body", {"P": "2"}) is None
    handoff.keep("s1", "body", kept)
    assert handoff.take("s1", "body", {"P": "1"}) is kept
    assert handoff.take("s1", "body", {"P": "1"}) is None


def test_entries_nobody_takes_are_dropped_oldest_first():
    handoff = DefinitionHandOff(kept=2)
    for name in ("a", "b", "c"):
        handoff.keep(name, "body", _definition())
    assert handoff.take("a", "body", {}) is None
    assert handoff.take("b", "body", {}) is not None and handoff.take("c", "body", {}) is not None
