"""train_one_epoch / evaluate: accuracy is correct/total over the split, not a batch mean."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

from engine import EarlyStopping, evaluate, train_one_epoch


class FixedLogits(nn.Module):
    """Predicts class = first input feature; a parameter so optimisers have work."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(x[:, 0].long(), 3).float() * 10 * self.scale


def _batches():
    # batch 1: 3 images, all right; batch 2: 1 image, wrong.
    # correct/total = 3/4; the mean of batch accuracies would be 0.5.
    return [(torch.tensor([[0.0], [1.0], [2.0]]), torch.tensor([0, 1, 2])),
            (torch.tensor([[0.0]]), torch.tensor([2]))]


def test_evaluate_accuracy_is_correct_over_total():
    stats = evaluate(FixedLogits(), nn.CrossEntropyLoss(), _batches(), torch.device("cpu"))
    assert (stats.correct, stats.total) == (3, 4)
    assert stats.accuracy == pytest.approx(0.75)


def test_evaluate_loss_is_weighted_by_images():
    criterion = nn.CrossEntropyLoss()
    model = FixedLogits()
    batches = _batches()
    stats = evaluate(model, criterion, batches, torch.device("cpu"))
    with torch.no_grad():
        all_x = torch.cat([b[0] for b in batches])
        all_y = torch.cat([b[1] for b in batches])
        expected = criterion(model(all_x), all_y).item()
    assert stats.loss == pytest.approx(expected, rel=1e-5)


def test_train_one_epoch_counts_every_image_and_updates_weights():
    model = FixedLogits()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    stats = train_one_epoch(model, nn.CrossEntropyLoss(), optimizer, _batches(),
                            torch.device("cpu"), epoch=1)
    assert (stats.correct, stats.total) == (3, 4)
    assert model.scale.item() != 1.0
    assert model.training


def test_evaluate_leaves_weights_alone_and_switches_to_eval():
    model = nn.Sequential(nn.Linear(1, 3), nn.BatchNorm1d(3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    evaluate(model, nn.CrossEntropyLoss(), _batches()[:1], torch.device("cpu"))
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_empty_loader_gives_nan_loss_not_a_crash():
    stats = evaluate(FixedLogits(), nn.CrossEntropyLoss(), [], torch.device("cpu"))
    assert stats.total == 0 and stats.loss != stats.loss


def test_early_stopping_counts_epochs_without_a_better_validation_loss():
    stopper = EarlyStopping(patience=2)
    assert [stopper.update(x) for x in (1.0, 0.8, 0.9, 0.8)] == [True, True, False, False]
    assert stopper.should_stop and stopper.best_loss == 0.8
    never = EarlyStopping(patience=0)
    for _ in range(5):
        never.update(float("nan"))
    assert not never.should_stop and never.stale == 5
