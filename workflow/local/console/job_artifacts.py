"""A training job's S3 artifacts for the console: what the job wrote under its output and
Debugger paths, each with a presigned GET URL that downloads it (as the AWS console does)."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workflow.local.console.aws import client

#: Objects listed per prefix (a Debugger run writes hundreds of tensor files).
LIMIT = 50
URL_SECONDS = 3600


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _prefixes(job: dict[str, Any]) -> list[str]:
    name = job["TrainingJobName"]
    found = [f"{job['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/"]
    for field in ("DebugHookConfig", "ProfilerConfig"):
        base = (job.get(field) or {}).get("S3OutputPath")
        if base and f"{base.rstrip('/')}/{name}/" not in found:
            found.append(f"{base.rstrip('/')}/{name}/")
    return found


def job_artifacts(name: str, endpoint_url: str) -> dict[str, Any]:
    """``{"TrainingJobName", "prefixes": [{"uri", "objects": [{"uri", "size", "url"}], "more"}]}``."""
    sagemaker, s3 = client("sagemaker", endpoint_url), client("s3", endpoint_url)
    job = sagemaker.describe_training_job(TrainingJobName=name)
    prefixes = []
    for uri in _prefixes(job):
        bucket, prefix = _split(uri)
        try:
            listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=LIMIT)
        except ClientError:
            continue
        objects = [{
            "uri": f"s3://{bucket}/{item['Key']}", "key": item["Key"][len(prefix):], "size": item["Size"],
            "url": s3.generate_presigned_url("get_object", ExpiresIn=URL_SECONDS, Params={
                "Bucket": bucket, "Key": item["Key"],
                "ResponseContentDisposition": f"attachment; filename=\"{item['Key'].rsplit('/', 1)[-1]}\""}),
        } for item in listed.get("Contents", [])]
        prefixes.append({"uri": uri, "objects": objects, "more": listed.get("IsTruncated", False)})
    return {"TrainingJobName": name, "prefixes": prefixes}
