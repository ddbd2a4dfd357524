"""The state machine resource: statemachine.json's raw text plus DefinitionSubstitutions.

Step Functions substitutes the placeholders itself, exactly like
``workflow.definition.render`` does for the local server, so both run the
same bytes. Only the ARNs differ in form: here they are CloudFormation
intrinsics that resolve at deploy time.
"""
from __future__ import annotations

from workflow import definition
from workflow.aws import iam_state_machine, logs
from workflow.aws.iam import Json
from workflow.aws.lambdas import logical_id
from workflow.aws.settings import DEBUGGER_SUPPORTED, StackSettings

LOG_GROUP = "StateMachineLogs"


def substitution_values(settings: StackSettings) -> dict[str, object]:
    """DefinitionSubstitutions: ``definition.substitutions`` with intrinsics for the stack's ARNs."""
    return definition.substitutions(
        ResourcePrefix=settings.resource_prefix,
        StageDataFunctionArn={"Fn::GetAtt": [f"{logical_id('stage_data')}Function", "Arn"]},
        SmokeTestFunctionArn={"Fn::GetAtt": [f"{logical_id('smoke_test')}Function", "Arn"]},
        PromoteModelFunctionArn={"Fn::GetAtt": [f"{logical_id('promote_model')}Function", "Arn"]},
        SageMakerRoleArn={"Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]},
        TrainingImage=settings.images.training,
        InferenceImage=settings.images.inference,
        RuleEvaluatorImage=settings.images.rule_evaluator,
        SourceDirUri=settings.source_dir_uri,
        DebuggerSupported="true" if DEBUGGER_SUPPORTED else "false",
        MlflowTrackingUri=settings.mlflow_tracking_server_arn or definition.TRACKING_OFF,
    )


def resources(settings: StackSettings) -> dict[str, Json]:
    return {
        "StateMachineRole": iam_state_machine.resource(settings.resource_prefix),
        # The /aws/vendedlogs/ prefix keeps the log-delivery resource policy small.
        LOG_GROUP: logs.log_group(f"/aws/vendedlogs/states/{settings.resource_prefix}", settings),
        "StateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": settings.resource_prefix,
                "StateMachineType": "STANDARD",
                "DefinitionString": definition.template_text(),
                "DefinitionSubstitutions": substitution_values(settings),
                "RoleArn": {"Fn::GetAtt": ["StateMachineRole", "Arn"]},
                "LoggingConfiguration": {
                    "Level": "ALL", "IncludeExecutionData": True,
                    "Destinations": [{"CloudWatchLogsLogGroup": {
                        "LogGroupArn": {"Fn::GetAtt": [LOG_GROUP, "Arn"]}}}],
                },
                "TracingConfiguration": {"Enabled": True},
            },
        },
    }
