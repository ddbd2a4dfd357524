"""An AccessDenied in a failed run, read for a person: what was refused, to whom, and where
that role's policy is written in ``workflow/aws/``.

IAM's message names the caller as ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` and the
action and resource it was refused ("Troubleshooting access denied error messages", IAM User
Guide); the local deployment names the stack's roles ``STACK-LogicalId`` as ``local_roles``
does, so the role's logical id leads to the code that renders its policy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from workflow.aws.local_roles import policy_source

_DENIED = re.compile(
    r"User: (?P<caller>arn:aws[a-z-]*:sts::\d{12}:assumed-role/(?P<role>[^/\s]+)/\S+) is not authorized to "
    r"perform: (?P<action>[\w-]+:\w+) on resource: \"?(?P<resource>[^\s\"]+)\"?")


@dataclass(frozen=True)
class Denial:
    action: str
    resource: str
    role: str
    caller: str

    def policy_location(self, stack_name: str) -> str | None:
        """``workflow/aws/FILE.py (function)`` for a role of stack ``stack_name``; None for another role."""
        if not self.role.startswith(f"{stack_name}-"):
            return None
        try:
            return policy_source(self.role[len(stack_name) + 1:])
        except KeyError:
            return None


def find_denial(text: str) -> Denial | None:
    """The first AccessDenied message in ``text`` (a state's Cause), if any."""
    found = _DENIED.search(text)
    if found is None:
        return None
    return Denial(found["action"], found["resource"].rstrip(".,;"), found["role"], found["caller"])


def denial_lines(text: str, stack_name: str) -> list[str]:
    """The summary's lines about an AccessDenied in ``text`` (none when there is none)."""
    denial = find_denial(text)
    if denial is None:
        return []
    lines = [f"  access denied: {denial.action} on {denial.resource}",
             f"    as role:     {denial.role} ({denial.caller})"]
    where = denial.policy_location(stack_name)
    if where:
        lines.append(f"    its policy:  {where}: allow {denial.action} on that resource there, "
                     "then run again (or redrive)")
    return lines
