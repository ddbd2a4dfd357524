"""Container image URIs from the SageMaker Python SDK's own registry tables (no network).

``sagemaker.core.image_uris`` ships the account, region and tag of every
framework image, so no ECR account is written in this project.
"""
from __future__ import annotations

from workflow.aws.settings import FRAMEWORK_VERSION, PY_VERSION, Images, SettingsError


def retrieve(region: str, training_instance_type: str, inference_instance_type: str) -> Images:
    try:
        from sagemaker.core import image_uris
        from sagemaker.core.debugger.debugger import get_rule_container_image_uri
    except ImportError as exc:  # an optional extra
        raise SettingsError("the AWS commands need sagemaker-core: pip install -e '.[aws]'") from exc
    try:
        training = image_uris.retrieve("pytorch", region=region, version=FRAMEWORK_VERSION,
                                       py_version=PY_VERSION, instance_type=training_instance_type,
                                       image_scope="training")
        inference = image_uris.retrieve("pytorch", region=region, version=FRAMEWORK_VERSION,
                                        py_version=PY_VERSION, instance_type=inference_instance_type,
                                        image_scope="inference")
        rules = get_rule_container_image_uri("debugger", region)
    except ValueError as exc:
        raise SettingsError(f"ValidationException: no SageMaker image for region {region!r} "
                            f"or instance types {training_instance_type!r}/{inference_instance_type!r}: {exc}") from exc
    return Images(training=training, inference=inference, rule_evaluator=rules)
