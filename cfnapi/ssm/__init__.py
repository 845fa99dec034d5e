"""cfnapi's own SSM parameter store: what ``AWS::SSM::Parameter`` writes and
``AWS::SSM::Parameter::Value<…>`` template parameters read."""

from cfnapi.ssm.store import (
    PUBLIC_IMAGE_PARAMETERS,
    Parameter,
    ParameterAlreadyExists,
    ParameterStore,
    ScopedParameters,
)

__all__ = ["PUBLIC_IMAGE_PARAMETERS", "Parameter", "ParameterAlreadyExists", "ParameterStore", "ScopedParameters"]
