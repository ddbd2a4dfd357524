"""Read access to an smdebug trial: tensor names by collection or regex, values by mode."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

MODES = ("TRAIN", "EVAL", "GLOBAL")


class NoTensors(Exception):
    """A rule's tensors were not saved; the message says what to add to DebugHookConfig."""


class TrialData:
    """A job's trial, with step lists read once per instance (a running job is read again
    through a new instance).

    ``memo`` keeps what the rules compute from saved steps across instances: a saved step
    never changes, so the rule job computes it while the script still trains.
    ``complete_only`` hides the newest step of a running job, which may be half written.
    """

    def __init__(self, path: str, memo: dict[tuple, Any] | None = None,
                 complete_only: bool = False) -> None:
        from smdebug.trials import create_trial  # deferred: smdebug's import is slow

        self.trial = create_trial(path)
        self._steps: dict[tuple[str, str], list[int]] = {}
        self._memo = {} if memo is None else memo
        self._newest = max(self.trial.steps(), default=None) if complete_only else None

    @staticmethod
    def mode(name: str) -> Any:
        from smdebug import modes  # deferred: smdebug's import takes seconds (-X importtime: 6.9 s)

        return getattr(modes, name)

    def names(self, *, collection: str | None = None, regex: list[str] | None = None) -> list[str]:
        found: list[str] = []
        if collection is not None:
            try:
                found += self.trial.tensor_names(collection=collection)
            except Exception:  # noqa: BLE001 - smdebug raises various errors for a missing collection
                pass
        if regex:
            patterns = [re.compile(r) for r in regex]
            found += [n for n in self.trial.tensor_names() if any(p.search(n) for p in patterns)]
        return sorted(set(found))

    def steps(self, name: str, mode: str) -> list[int]:
        # smdebug looks for new files on every call, which the rules would repeat per step.
        key = (name, mode)
        if key not in self._steps:
            steps = self.trial.tensor(name).steps(mode=self.mode(mode))
            if self._newest is not None:
                steps = [s for s in steps if self.trial.global_step(self.mode(mode), s) < self._newest]
            self._steps[key] = list(steps)
        return list(self._steps[key])

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key; a key must name saved steps, never "the latest"."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def value(self, name: str, step: int, mode: str) -> np.ndarray:
        """The saved array as it was saved (a float64 copy of a ResNet's gradients is ~100 MB):
        reduce it with ``dtype=np.float64`` where precision matters."""
        return np.asarray(self.trial.tensor(name).value(step, mode=self.mode(mode)))

    def series(self, name: str, mode: str) -> list[tuple[int, float]]:
        """A scalar tensor's (step, value) pairs in ``mode``; steps are per-mode counters."""
        return [(s, float(self.value(name, s, mode).mean(dtype=np.float64))) for s in self.steps(name, mode)]

    def global_series(self, name: str, mode: str) -> list[tuple[int, float]]:
        """Like ``series`` but with global step numbers, so TRAIN and EVAL share one axis."""
        tensor = self.trial.tensor(name)
        out = []
        for s in tensor.steps(mode=self.mode(mode)):
            global_step = self.trial.global_step(self.mode(mode), s)
            out.append((int(global_step), float(np.mean(tensor.value(s, mode=self.mode(mode))))))
        return out

    def require(self, names: list[str], what: str) -> list[str]:
        if not names:
            raise NoTensors(f"no {what} tensors were saved; add the collection to "
                            f"DebugHookConfig.CollectionConfigurations")
        return names
