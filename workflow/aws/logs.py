"""CloudWatch Logs log groups the stack owns, and the customer KMS key they are encrypted with."""
from __future__ import annotations

from workflow.aws.iam import Json
from workflow.aws.settings import StackSettings

#: The customer KMS key's ARN where one is given (``HasKmsKey``), else no value at all.
KMS_KEY_IF_GIVEN: Json = {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]}


def log_group(name: str, settings: StackSettings) -> Json:
    """A log group deleted with the stack, kept ``log_retention_days``, encrypted with the
    customer KMS key when one is given."""
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
        "Properties": {"LogGroupName": name, "RetentionInDays": settings.log_retention_days,
                       "KmsKeyId": KMS_KEY_IF_GIVEN},
    }
