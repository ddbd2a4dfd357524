"""train.py's built-in checks agree with the Debugger rules evaluated on smdebug's tensors.

Six scripted runs on the synthetic dogImages data, each through train.py's own
loop (``engine``) with both observers attached at once: the smdebug hook,
configured exactly as the pipeline's Debugger variant of the Train state
configures it, and ``diagnostics.Diagnostics``. The local rule evaluation then
judges the saved tensors with the built-in rules' documented semantics, and
every rule's verdict must be the same on both sides. Each pathological run
must also be caught by the rule made for it, and the healthy run by none.
"""
from __future__ import annotations

import json
import sys
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from workflow.local.sagemaker.debugger.config import hook_config
from workflow.local.sagemaker.debugger.evaluation import evaluate_rules
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.synthetic import generate_dataset

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training_src"))

import breed_data  # noqa: E402
import debugger  # noqa: E402
from diagnostics import Diagnostics  # noqa: E402
from engine import evaluate, train_one_epoch  # noqa: E402

pytestmark = pytest.mark.slow
IMAGE = 16
FEATURES = 3 * IMAGE * IMAGE
CLASSES = 3


def debugger_request() -> dict:
    """DebugHookConfig and DebugRuleConfigurations of the pipeline's Debugger Train state."""
    states = json.loads((ROOT / "statemachine.json").read_text())["States"]
    params = states["TrainWithDebugger"]["Parameters"]
    return {"DebugHookConfig": params["DebugHookConfig"],
            "DebugRuleConfigurations": params["DebugRuleConfigurations"]}


def relu_mlp(widths: list[int], init: Callable[[int, nn.Linear], None] | None = None) -> nn.Module:
    """Linear layers with ReLUs named ``relu<n>`` ... as Debugger's relu_input regex expects
    (``block<n>.relu``), so both sides see the same activations."""
    layers: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())]
    for i, (a, b) in enumerate(zip([FEATURES, *widths], widths, strict=False)):
        linear = nn.Linear(a, b)
        if init is not None:
            init(i, linear)
        layers.append((f"block{i}", nn.Sequential(OrderedDict(linear=linear, relu=nn.ReLU()))))
    layers.append(("head", nn.Linear(widths[-1], CLASSES)))
    return nn.Sequential(OrderedDict(layers))


def sigmoid_stack() -> nn.Module:
    """Ten sigmoid layers with tiny weights: the first layers' gradients vanish."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i in range(10):
        linear = nn.Linear(FEATURES if i == 0 else 32, 32)
        nn.init.normal_(linear.weight, std=0.01)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(32, CLASSES))


def one_huge_layer(index: int, linear: nn.Linear) -> None:
    if index == 1:
        nn.init.normal_(linear.weight, std=3.0)


#: name -> (model factory, optimizer factory, epochs, train images per class, validation batch
#: size, rule it must raise). Overfit compares each validation batch with the training steps
#: before it, so the healthy run validates in one batch: no single batch's noise is judged.
RUNS: dict[str, tuple] = {
    "healthy": (lambda: relu_mlp([32, 32]), lambda p: torch.optim.Adam(p, lr=1e-3), 2, 20, 72, None),
    "vanishing": (sigmoid_stack, lambda p: torch.optim.SGD(p, lr=0.01), 2, 20, 8, "VanishingGradient"),
    "overfit": (lambda: relu_mlp([256]), lambda p: torch.optim.Adam(p, lr=3e-3), 12, 2, 8, "Overfit"),
    "overtraining": (lambda: relu_mlp([64, 64]), lambda p: torch.optim.Adam(p, lr=1e-2), 12, 20,
                     8, "Overtraining"),
    "poor_init": (lambda: relu_mlp([32, 32, 32], one_huge_layer), lambda p: torch.optim.SGD(p, lr=1e-3),
                  2, 20, 8, "PoorWeightInitialization"),
    "lr_zero": (lambda: relu_mlp([32]), lambda p: torch.optim.SGD(p, lr=0.0), 3, 20, 8, "LossNotDecreasing"),
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    for per_class in sorted({r[3] for r in RUNS.values()}):
        generate_dataset(root / str(per_class), num_classes=CLASSES, train_per_class=per_class,
                         valid_per_class=24, test_per_class=4, image_size=IMAGE, seed=1)
    return root


def run_both(name: str, data_root: Path, job_dir: Path) -> tuple[dict[str, bool], dict[str, str]]:
    """Train one scripted run with the hook and the built-in checks; both sides' verdicts."""
    factory, optimizer_factory, epochs, per_class, valid_batch, _ = RUNS[name]
    torch.manual_seed(0)
    datasets = breed_data.build_datasets(breed_data.resolve_split_dirs(str(data_root / str(per_class))),
                                         IMAGE, IMAGE)
    loaders = breed_data.build_loaders(datasets, 8, 0, seed=0)
    loaders["valid"] = breed_data.build_loaders(datasets, valid_batch, 0, seed=0)["valid"]
    model, criterion = factory(), nn.CrossEntropyLoss()
    optimizer = optimizer_factory(model.parameters())
    paths = JobPaths(job_dir)
    request = debugger_request()
    config = job_dir / "debughookconfig.json"
    job_dir.mkdir(parents=True)
    config.write_text(json.dumps(hook_config(request, paths.debug_output)))
    with pytest.MonkeyPatch.context() as env:
        env.setenv(debugger.CONFIG_ENV, str(config))
        hook = debugger.create_hook(model, criterion)
    assert hook is not None
    checks = Diagnostics(model)
    device = torch.device("cpu")
    for epoch in range(1, epochs + 1):
        train_one_epoch(model, criterion, optimizer, loaders["train"], device, epoch, hook=hook,
                        diagnostics=checks)
        evaluate(model, criterion, loaders["valid"], device, epoch, hook=hook, diagnostics=checks)
    evaluate(model, criterion, loaders["test"], device, epochs, hook=hook, mode="test")
    debugger.close(hook)
    builtin = {v.rule: v.issues_found for v in checks.verdicts()}
    checks.close()
    statuses = evaluate_rules(request, paths)["DebugRuleEvaluationStatuses"]
    evaluated = {s["RuleConfigurationName"]: s["RuleEvaluationStatus"] for s in statuses}
    return builtin, evaluated


def test_builtin_checks_agree_with_the_debugger_rules_on_every_run(data_root: Path, tmp_path: Path) -> None:
    disagreements, missed = [], []
    for name, (*_, expected) in RUNS.items():
        builtin, evaluated = run_both(name, data_root, tmp_path / name)
        assert set(evaluated) == set(builtin), (name, evaluated)
        for rule, issues in builtin.items():
            if evaluated[rule] != ("IssuesFound" if issues else "NoIssuesFound"):
                disagreements.append(f"{name}/{rule}: built-in {issues}, Debugger {evaluated[rule]}")
        flagged = {rule for rule, issues in builtin.items() if issues}
        if (expected is None and flagged) or (expected is not None and expected not in flagged):
            missed.append(f"{name}: expected {expected or 'no issue'}, flagged {sorted(flagged)}")
    assert not disagreements, disagreements
    assert not missed, missed
