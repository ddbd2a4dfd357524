"""The search strategies as Optuna samplers, driven through Optuna's ask-and-tell API."""
from __future__ import annotations

from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.tuning.space import Param


def make_study(strategy: str, params: list[Param], *, direction: str, seed: int | None,
               max_jobs: int) -> Any:
    import optuna  # deferred: optuna's import is slow

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if strategy == "Bayesian":
        # Fewer random start-up trials than Optuna's default 10, so that small local
        # budgets still get some model-guided proposals; the constant liar keeps
        # parallel proposals apart while earlier ones are still running.
        sampler: optuna.samplers.BaseSampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=max(2, min(10, max_jobs // 2)), constant_liar=True)
    elif strategy == "Random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    elif strategy == "Grid":
        sampler = optuna.samplers.GridSampler(
            {p.name: list(p.distribution.choices) for p in params}, seed=seed)
    else:
        raise ValidationException(f"HyperParameterTuningJobConfig.Strategy: {strategy} is not "
                                  f"supported locally (Bayesian, Random, Grid)")
    return optuna.create_study(direction="minimize" if direction == "Minimize" else "maximize",
                               sampler=sampler)


def ask(study: Any, params: list[Param]) -> tuple[Any, dict[str, str]]:
    """A new trial and the hyperparameter strings for its training job."""
    trial = study.ask({p.name: p.distribution for p in params})
    return trial, {p.name: p.text(trial.params[p.name]) for p in params}


def tell(study: Any, trial: Any, value: float | None = None, state: Any = None) -> None:
    try:
        study.tell(trial, value, state=state)
    except RuntimeError as err:
        # GridSampler calls study.stop() once the grid is used up, which Optuna only
        # allows inside study.optimize; with ask-and-tell the tell itself has succeeded.
        if "Study.stop" not in str(err):
            raise


def replay(study: Any, params: list[Param], tuned: dict[str, str]) -> Any:
    """A trial for a training job an earlier server launched with ``tuned``: the study
    learns it again (``tell`` it once it has ended) after the server restarted."""
    study.enqueue_trial({p.name: p.internal(tuned[p.name]) for p in params})
    trial, _ = ask(study, params)
    return trial
