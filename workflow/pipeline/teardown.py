"""Remove an endpoint with everything that serves it: scaling, endpoint config, model."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from botocore.exceptions import ClientError


def delete_endpoint(clients: Callable[[str], Any], endpoint_name: str, out: TextIO) -> None:
    sagemaker = clients("sagemaker")
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError as err:
        print(f"  endpoint {endpoint_name}: {err.response['Error']['Message']}", file=out)
        return
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    scaling = clients("application-autoscaling")
    for variant in config["ProductionVariants"]:
        try:
            scaling.deregister_scalable_target(
                ServiceNamespace="sagemaker", ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                ResourceId=f"endpoint/{endpoint_name}/variant/{variant['VariantName']}")
        except ClientError:
            pass  # never registered
    sagemaker.delete_endpoint(EndpointName=endpoint_name)
    sagemaker.delete_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
    for variant in config["ProductionVariants"]:
        sagemaker.delete_model(ModelName=variant["ModelName"])
    print(f"  deleted endpoint {endpoint_name}, endpoint config {config['EndpointConfigName']} and "
          f"model(s) {', '.join(v['ModelName'] for v in config['ProductionVariants'])}", file=out)
