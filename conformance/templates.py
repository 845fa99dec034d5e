"""Small templates the client scenarios share."""

import json

HANDLE_TEMPLATE = json.dumps({
    "Description": "conformance handle",
    "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
})


DEPLOY_TEMPLATE = """\
Parameters:
  Tier: {Type: String, Default: blue}
Resources:
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
  Setting:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: !Ref Tier}
Outputs:
  Setting: {Value: !Ref Setting}
  Tier: {Value: !GetAtt Setting.Value}
"""
