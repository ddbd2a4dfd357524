"""The optional data bucket: encrypted, versioned, private and reachable over TLS only.

It is kept when the stack is deleted (it holds the datasets and trained
models); ``destroy`` says so.
"""
from __future__ import annotations

from workflow.aws.iam import Json
from workflow.aws.settings import StackSettings


def resources(settings: StackSettings) -> dict[str, Json]:
    if not settings.create_data_bucket:
        return {}
    arn = f"arn:${{AWS::Partition}}:s3:::{settings.data_bucket}"
    return {
        "DataBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Metadata": {"checkov": {"skip": [{
                "id": "CKV_AWS_18",
                "comment": "server access logging needs a second bucket the account owner chooses; "
                           "API access is recorded by CloudTrail data events where enabled"}]}},
            "Properties": {
                "BucketName": settings.data_bucket,
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": {"Fn::If": [
                        "HasKmsKey", {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "KmsKeyArn"}},
                        {"SSEAlgorithm": "AES256"}]},
                    "BucketKeyEnabled": True}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": [{
                    "Id": "expire-old-versions", "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]},
            },
        },
        "DataBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "DataBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [{"Fn::Sub": arn}, {"Fn::Sub": f"{arn}/*"}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
            },
        },
    }
