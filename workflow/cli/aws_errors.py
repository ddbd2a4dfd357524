"""One readable line for an AWS error, the same in every command."""
from __future__ import annotations

from botocore.exceptions import ClientError


def aws_error(exc: ClientError) -> str:
    """``Code: Message``; a ModelError also carries what the model container said."""
    error = exc.response.get("Error", {})
    line = f"{error.get('Code', 'Error')}: {error.get('Message', exc)}"
    original = exc.response.get("OriginalMessage")
    return f"{line} ({original})" if original and original not in line else line
