"""The error inference raises: a message and the HTTP status the endpoint returns.

400 bad input (undecodable image, bad JSON, refused or failed URL),
406 unsupported Accept type, 413 too large (body, image pixels, download),
415 unsupported Content-Type, 500 the model could not be loaded.
"""
from __future__ import annotations


class InferenceError(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message

    def __str__(self) -> str:
        return self.message
