"""train.py's arguments: SageMaker flags (plain or JSON-encoded), SM_* paths, SM_HPS."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# training_src ships alone, so its modules import each other by plain name.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

import train
from failure import TrainingError
from hyperparams import get_args_parser, parse_args


def test_get_args_parser_is_returned_unparsed_and_extendable():
    parser = get_args_parser(environ={})
    parser.add_argument("--extra", default="x")
    args = parser.parse_args([])
    assert args.extra == "x" and args.arch == "resnet18"


@pytest.mark.parametrize("raw, expected", [
    (["--optimizer", '"adam"', "--lr", '"0.05"', "--batch-size", '"8"', "--pretrained", '"true"'],
     {"optimizer": "adam", "lr": 0.05, "batch_size": 8, "pretrained": True}),
    (["--optimizer", "sgd", "--lr", "0.2", "--batch-size", "16", "--pretrained", "false"],
     {"optimizer": "sgd", "lr": 0.2, "batch_size": 16, "pretrained": False}),
    (["--epochs", "3.0", "--train-layers", '"layer4"', "--weight-decay", "1e-5"],
     {"epochs": 3, "train_layers": "layer4", "weight_decay": 1e-5}),
])
def test_flags_accept_plain_and_json_encoded_values(raw, expected):
    args = parse_args(raw, environ={})
    assert {k: getattr(args, k) for k in expected} == expected


def test_paths_default_to_the_sagemaker_environment():
    env = {"SM_CHANNEL_TRAINING": "/in/training", "SM_MODEL_DIR": "/opt/ml/model",
           "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data", "SM_CHANNEL_TEST": "/in/test",
           "TRAINING_JOB_NAME": "job-7"}
    args = parse_args([], environ=env)
    assert (args.data_dir, args.model_dir, args.output_data_dir) == (
        "/in/training", "/opt/ml/model", "/opt/ml/output/data")
    assert args.test_dir == "/in/test" and args.train_dir is None
    assert args.model_version == "job-7"


def test_hand_defaults_without_sagemaker():
    args = parse_args([], environ={})
    assert (args.data_dir, args.model_dir, args.output_data_dir) == ("data", "model", "output")


def test_sm_hps_supplies_defaults_and_flags_win():
    env = {"SM_HPS": json.dumps({"lr": "0.02", "batch-size": 12, "optimizer": "sgd",
                                 "sagemaker_program": "train.py"})}
    args = parse_args(["--batch-size", "4"], environ=env)
    assert (args.lr, args.batch_size, args.optimizer) == (0.02, 4, "sgd")


def test_unknown_hyperparameters_are_ignored(capsys):
    args = parse_args(["--_tuning_objective_metric", "valid:accuracy", "--lr", "0.1"], environ={})
    assert args.lr == 0.1
    assert "_tuning_objective_metric" in capsys.readouterr().err


@pytest.mark.parametrize("raw, field", [
    (["--lr", "fast"], "--lr"), (["--batch-size", "0"], "--batch-size"),
    (["--optimizer", "rmsprop"], "--optimizer"), (["--pretrained", "maybe"], "--pretrained"),
    (["--epochs", "2.5"], "--epochs"),
])
def test_bad_values_name_the_flag(raw, field):
    with pytest.raises(TrainingError, match=field):
        parse_args(raw, environ={})


@pytest.mark.parametrize("name, cls", [("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW")])
def test_learning_rate_and_weight_decay_reach_the_optimizer(name, cls):
    import torch
    args = parse_args(["--optimizer", json.dumps(name), "--lr", '"0.0375"',
                       "--weight-decay", "0.002", "--momentum", "0.8"], environ={})
    model = torch.nn.Linear(3, 2)
    optimizer = train.build_optimizer(args, model)
    assert type(optimizer).__name__ == cls
    group = optimizer.param_groups[0]
    assert group["lr"] == pytest.approx(0.0375) and group["weight_decay"] == pytest.approx(0.002)
    if name == "sgd":
        assert group["momentum"] == pytest.approx(0.8)


def test_only_trainable_parameters_reach_the_optimizer():
    from network import build_model
    args = parse_args(["--train-layers", "fc"], environ={})
    model = build_model("resnet18", 3, train_layers="fc")
    params = train.build_optimizer(args, model).param_groups[0]["params"]
    assert {id(p) for p in params} == {id(model.fc.weight), id(model.fc.bias)}


def test_checkpoint_dir_can_be_turned_off():
    assert parse_args(["--checkpoint-dir", "none"], environ={}).checkpoint_dir is None
    assert parse_args(["--checkpoint-dir", "/tmp/c"], environ={}).checkpoint_dir == "/tmp/c"


def test_cuda_asked_for_without_cuda_is_a_clear_error():
    import torch
    assert train.select_device("cpu").type == "cpu"
    if torch.cuda.is_available():
        assert train.select_device("auto").type == "cuda"
    else:
        assert train.select_device("auto").type == "cpu"
        with pytest.raises(TrainingError, match="CUDA"):
            train.select_device("cuda")


def test_checkpoint_dir_follows_the_local_runtime():
    env = {"SM_CHECKPOINT_DIR": "/data/jobs/j1/checkpoints"}
    assert parse_args([], environ=env).checkpoint_dir == "/data/jobs/j1/checkpoints"
    assert parse_args(["--checkpoint-dir", "none"], environ=env).checkpoint_dir is None
