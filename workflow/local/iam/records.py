"""IAM's own records: a role with its trust policy, inline policies and tags."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: The store's document kind for roles, keyed by the lower-cased name (IAM role names are
#: unique regardless of case: "Role names ... are not distinguished by case").
ROLE = "iam.role"


@dataclass
class Role:
    name: str
    role_id: str
    arn: str
    path: str
    created: datetime
    trust_policy: str
    description: str | None = None
    max_session_duration: int = 3600
    #: Inline policies: name -> document, as given to PutRolePolicy.
    policies: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def to_document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Role:
        return cls(**doc)


def role_key(name: str) -> str:
    return name.lower()
