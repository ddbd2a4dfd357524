"""The error inference raises: a message and the HTTP status the endpoint returns.

400 bad input (undecodable image, bad JSON, refused or failed URL),
406 unsupported Accept type, 413 too large (body, image pixels, download),
415 unsupported Content-Type, 500 the model could not be loaded.

It is the inference toolkit's own error type: in the SageMaker PyTorch inference
container, the toolkit answers any other exception with 500, whatever status it carries.
"""
from __future__ import annotations

from sagemaker_inference.errors import BaseInferenceToolkitError


class InferenceError(BaseInferenceToolkitError):
    def __init__(self, status_code: int, message: str) -> None:
        # The toolkit sends ``phrase`` as the status line's reason and ``message`` with the
        # traceback as the body; both say what is wrong.
        super().__init__(status_code, message, message)

    def __str__(self) -> str:
        return self.message
