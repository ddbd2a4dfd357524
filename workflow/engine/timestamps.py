"""RFC 3339 timestamps as ASL accepts them (uppercase T separator, Z or numeric offset)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(text: object) -> datetime | None:
    """The aware datetime for an ASL timestamp string, or None when it is not one."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text)
    if not match:
        return None
    fraction = (match.group(7) or "")[:7].ljust(7, "0") if match.group(7) else ""
    zone = "+00:00" if match.group(8) == "Z" else match.group(8)
    try:
        return datetime.fromisoformat(text[:19] + fraction + zone)
    except ValueError:
        return None


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and Z, the form of ``$$.Execution.StartTime``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
