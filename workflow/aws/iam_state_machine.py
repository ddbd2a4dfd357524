"""The state machine's role: exactly what statemachine.json's Task states call, scoped to the prefix."""
from __future__ import annotations

from workflow.aws.iam import Json, any_resource, role, statement, sub, xray_statement

SAGEMAKER = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}"
#: The functions the state machine invokes (the inference function serves users, not the pipeline).
PIPELINE_FUNCTIONS = ("StageDataFunction", "SmokeTestFunction", "PromoteModelFunction")
#: The managed rules Step Functions creates to learn when a .sync SageMaker job ends.
SYNC_RULES = ("StepFunctionsGetEventsForSageMakerTrainingJobsRule",
              "StepFunctionsGetEventsForSageMakerTuningJobsRule")
AUTOSCALING_SLR = ("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/"
                   "sagemaker.application-autoscaling.amazonaws.com/"
                   "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")


def sagemaker_arn(kind: str, prefix: str) -> Json:
    return sub(f"{SAGEMAKER}:{kind}/{prefix}*")


def statements(prefix: str) -> list[Json]:
    training = sagemaker_arn("training-job", prefix)
    tuning = sagemaker_arn("hyper-parameter-tuning-job", prefix)
    model = sagemaker_arn("model", prefix)
    config = sagemaker_arn("endpoint-config", prefix)
    endpoint = sagemaker_arn("endpoint", prefix)
    return [
        # Train (.sync): create, then Step Functions describes (and stops on abort) the job.
        statement("TrainingJobs", ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob",
                                   "sagemaker:StopTrainingJob"], training),
        # Tune (.sync): the tuning job and, for its result, the training jobs it launched
        # (SageMaker names them after the tuning job, so the prefix covers them).
        statement("TuningJobs", ["sagemaker:CreateHyperParameterTuningJob",
                                 "sagemaker:DescribeHyperParameterTuningJob",
                                 "sagemaker:StopHyperParameterTuningJob",
                                 "sagemaker:ListTrainingJobsForHyperParameterTuningJob"], tuning),
        statement("Models", ["sagemaker:CreateModel", "sagemaker:DeleteModel"], model),
        statement("EndpointConfigs", ["sagemaker:CreateEndpointConfig", "sagemaker:DeleteEndpointConfig",
                                      "sagemaker:DescribeEndpointConfig"], config),
        # Describe/Update are also what Application Auto Scaling checks on the caller when
        # registering the variant (UpdateEndpointWeightsAndCapacities).
        statement("Endpoints", ["sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint",
                                "sagemaker:UpdateEndpointWeightsAndCapacities"], endpoint),
        # AWS authorizes CreateEndpoint and UpdateEndpoint on the endpoint and on the endpoint
        # config the request names (Service Authorization Reference, Amazon SageMaker AI).
        statement("DeployEndpoints", ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                  [endpoint, config]),
        statement("TagOwnResources", ["sagemaker:AddTags", "sagemaker:ListTags"],
                  [training, tuning, model, config, endpoint]),
        any_resource("ListEndpoints", ["sagemaker:ListEndpoints"]),
        statement("PassSageMakerRole", ["iam:PassRole"], {"Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]},
                  condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        statement("SyncJobEvents", ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                  [sub(f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{rule}")
                   for rule in SYNC_RULES]),
        statement("InvokeOwnFunctions", ["lambda:InvokeFunction"],
                  [{"Fn::GetAtt": [fn, "Arn"]} for fn in PIPELINE_FUNCTIONS]
                  + [sub(f"${{{fn}.Arn}}:*") for fn in PIPELINE_FUNCTIONS]),
        any_resource("ApplicationAutoScaling", [
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:DescribeScalingPolicies",
        ]),
        # Target tracking creates and deletes its alarms with the caller's permissions.
        statement("ScalingAlarms", ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms",
                                    "cloudwatch:DeleteAlarms"],
                  sub(f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:"
                      f"TargetTracking-endpoint/{prefix}*")),
        statement("AutoScalingServiceLinkedRole", ["iam:CreateServiceLinkedRole"], sub(AUTOSCALING_SLR),
                  condition={"StringLike": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}}),
        any_resource("LogDelivery", ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                                     "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                                     "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                                     "logs:DescribeLogGroups"]),
        xray_statement(),
    ]


#: checkov reads any write action on Resource "*" as unconstrained; these are the allow-listed ones.
UNSCOPED_WRITES = ("CKV_AWS_111", "the only writes on Resource '*' are Application Auto Scaling registration "
                   "(target ARNs hold an id AWS generates) and CloudWatch Logs log delivery, which supports no "
                   "resource-level permissions; every other write is scoped to the stack's prefix")


def resource(prefix: str) -> Json:
    out = role("Runs the pipeline state machine: SageMaker jobs, models and endpoints named "
                f"{prefix}*, the stack's Lambda functions, autoscaling, logs and traces.",
                "states.amazonaws.com", "state-machine", statements(prefix))
    out["Metadata"] = {"checkov": {"skip": [{"id": UNSCOPED_WRITES[0], "comment": UNSCOPED_WRITES[1]}]}}
    return out
