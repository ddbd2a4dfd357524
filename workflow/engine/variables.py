"""Workflow variables (``Assign``): one scope per line of work, with AWS's limits.

Developer guide, "Passing data between states with variables":

- The top-level states share one workflow-local scope. A Parallel branch or a Map
  iteration has a scope of its own: it reads the variables of the scopes around it
  but never writes them (data leaves a branch or an iteration through its Output).
  When the branch or iteration ends, its variables are gone.
- A variable is at most 256 KiB, the values of one ``Assign`` field together at
  most 256 KiB, and all the variables of an execution at most 10 MiB.

The scope is plain data (names to JSON values) so that an execution's variables can
be stored with it and brought back (``snapshot`` / ``restore``).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from .errors import FailureError, StatesError, runtime_error
from .limits import MAX_ASSIGN_BYTES, MAX_VARIABLE_BYTES, payload_size, to_json

MAX_EXECUTION_VARIABLE_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 80
# ``$states`` is the reserved variable of JSONata states.
RESERVED_NAMES = frozenset({"states"})


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a variable, or None when it can.

    Names follow the Unicode identifier rules (a start character, then continue
    characters), as the developer guide specifies, up to 80 characters.
    """
    if not isinstance(name, str) or not name:
        return "a variable name must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH:
        return f"the variable name '{name[:20]}...' is longer than {MAX_NAME_LENGTH} characters"
    if not name.isidentifier():
        return (f"the variable name '{name}' is not valid: it must start with a letter or '_' "
                "and continue with letters, digits or '_'")
    if name in RESERVED_NAMES:
        return f"the variable name '{name}' is reserved"
    return None


class VariableScope:
    """The variables one line of work sees: its own, then (read only) its enclosing scopes'."""

    __slots__ = ("_values", "_texts", "_parent", "_own_bytes")

    def __init__(self, parent: VariableScope | None = None) -> None:
        self._values: dict[str, Any] = {}
        # JSON text of each value: the history shows it, and the limits count its bytes.
        self._texts: dict[str, str] = {}
        self._parent = parent
        self._own_bytes = 0

    def child(self) -> VariableScope:
        """The scope of a Parallel branch or a Map iteration run inside this one."""
        return VariableScope(self)

    def __contains__(self, name: str) -> bool:
        scope: VariableScope | None = self
        while scope is not None:
            if name in scope._values:
                return True
            scope = scope._parent
        return False

    def get(self, name: str) -> Any:
        """The value of ``name``; KeyError when no scope around defines it."""
        scope: VariableScope | None = self
        while scope is not None:
            values = scope._values
            if name in values:
                return values[name]
            scope = scope._parent
        raise KeyError(name)

    def bindings(self, names: Iterable[str]) -> dict[str, Any]:
        """The values of those of ``names`` that are defined (for an expression's bindings)."""
        found: dict[str, Any] = {}
        for name in names:
            try:
                found[name] = self.get(name)
            except KeyError:
                pass
        return found

    def total_bytes(self) -> int:
        """Bytes of every variable this line of work holds, its enclosing scopes' included."""
        total = 0
        scope: VariableScope | None = self
        while scope is not None:
            total += scope._own_bytes
            scope = scope._parent
        return total

    def assign(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Bind all of ``values`` at once (each was evaluated before any is bound).

        Returns the JSON text of each assigned value, as ``assignedVariables`` in the
        history shows it. Raises States.DataLimitExceeded over a size limit.
        """
        texts = {name: to_json(value) for name, value in values.items()}
        sizes = {name: payload_size(text) for name, text in texts.items()}
        for name, size in sizes.items():
            if size > MAX_VARIABLE_BYTES:
                raise FailureError(
                    StatesError.DATA_LIMIT_EXCEEDED.value,
                    f"The value assigned to the variable '{name}' has a size of {size} bytes, "
                    f"over the limit of {MAX_VARIABLE_BYTES} bytes for a variable.")
        combined = sum(sizes.values())
        if combined > MAX_ASSIGN_BYTES:
            raise FailureError(
                StatesError.DATA_LIMIT_EXCEEDED.value,
                f"The values of the Assign field have a combined size of {combined} bytes, "
                f"over the limit of {MAX_ASSIGN_BYTES} bytes for one Assign.")
        outer = self._parent
        for name in values:
            if outer is not None and name in outer:
                # Validation refuses such definitions; this guards programs built without it.
                raise runtime_error(f"The variable '{name}' belongs to an outer scope and cannot be assigned here")
        replaced = sum(payload_size(self._texts[name]) for name in values if name in self._texts)
        own = self._own_bytes - replaced + combined
        total = own + (outer.total_bytes() if outer is not None else 0)
        if total > MAX_EXECUTION_VARIABLE_BYTES:
            raise FailureError(
                StatesError.DATA_LIMIT_EXCEEDED.value,
                f"The variables would total {total} bytes, over the limit of "
                f"{MAX_EXECUTION_VARIABLE_BYTES} bytes for an execution.")
        self._values.update(values)
        self._texts.update(texts)
        self._own_bytes = own
        return texts

    def snapshot(self) -> dict[str, Any]:
        """This scope's own variables, as plain JSON values (for storing an execution)."""
        return dict(self._values)

    @classmethod
    def restore(cls, values: Mapping[str, Any], parent: VariableScope | None = None) -> VariableScope:
        scope = cls(parent)
        for name, value in values.items():
            text = to_json(value)
            scope._values[name] = value
            scope._texts[name] = text
            scope._own_bytes += payload_size(text)
        return scope
