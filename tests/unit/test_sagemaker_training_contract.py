"""The training toolkit contract, URIs, archives, metrics and status rules, as pure functions."""
from __future__ import annotations

import io
import json
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.listing import page
from workflow.local.sagemaker.training import artifacts, staging
from workflow.local.sagemaker.training.archives import extract_tar, write_tar_gz
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.metrics import MetricParser, read_series
from workflow.local.sagemaker.training.status import finish_times, transition
from workflow.local.sagemaker.training.toolkit_env import (
    build_environment,
    decode_hyperparameters,
    to_cmd_args,
    user_hyperparameters,
)
from workflow.local.sagemaker.training.uris import s3_uri

HPS = {"batch-size": "64", "lr": "0.01", "optimizer": '"adamw"', "pretrained": "false",
       "layers": "[1, 2]", "sagemaker_program": '"train.py"',
       "sagemaker_submit_directory": '"file:///src.tar.gz"', "note": "plain text"}


def test_hyperparameters_are_json_decoded_and_framework_ones_dropped():
    decoded = decode_hyperparameters(HPS)
    assert decoded["batch-size"] == 64 and decoded["optimizer"] == "adamw"
    assert decoded["pretrained"] is False and decoded["note"] == "plain text"
    user = user_hyperparameters(decoded)
    assert not any(k.startswith("sagemaker_") for k in user)
    assert to_cmd_args(user) == ["--batch-size", "64", "--layers", "[1, 2]", "--lr", "0.01",
                                 "--note", "plain text", "--optimizer", "adamw",
                                 "--pretrained", "False"]


def test_single_letter_and_mapping_hyperparameters_follow_the_toolkit():
    assert to_cmd_args({"a": 1, "opts": {"y": 2, "x": 1}}) == ["-a", "1", "--opts", "x=1,y=2"]


def test_environment_has_the_toolkit_variables(tmp_path):
    paths = JobPaths.of(tmp_path, "job-1")
    paths.create()
    (paths.config / "inputdataconfig.json").write_text(json.dumps({"training": {}}))
    env, args = build_environment(job_name="job-1", paths=paths, hyperparameters=HPS,
                                  channels=["training", "test"], program="train.py",
                                  submit_dir="file:///src.tar.gz", user_env={"X": "1"}, num_gpus=0)
    assert env["SM_MODEL_DIR"] == str(paths.model)
    assert env["SM_OUTPUT_DATA_DIR"] == str(paths.output_data)
    assert json.loads(env["SM_CHANNELS"]) == ["test", "training"]
    assert env["SM_CHANNEL_TRAINING"] == str(paths.data / "training")
    assert json.loads(env["SM_HPS"])["batch-size"] == 64
    assert env["SM_HP_BATCH_SIZE"] == "64" and env["SM_HP_OPTIMIZER"] == "adamw"
    assert "SM_HP_SAGEMAKER_PROGRAM" not in env
    assert json.loads(env["SM_USER_ARGS"]) == args
    assert env["SM_CURRENT_HOST"] == "algo-1" and json.loads(env["SM_HOSTS"]) == ["algo-1"]
    assert env["SM_NUM_GPUS"] == "0" and int(env["SM_NUM_CPUS"]) >= 1
    assert env["SMDEBUG_CONFIG_FILE_PATH"] == str(paths.config / "debughookconfig.json")
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["module_name"] == "train" and training_env["job_name"] == "job-1"
    assert env["X"] == "1"


def test_only_s3_uris_are_accepted_as_on_aws():
    assert s3_uri("s3://bucket/key", "F") == "s3://bucket/key"
    for refused in ("file:///tmp/data", "/tmp/data", "relative/dir"):
        with pytest.raises(ValidationException, match="regular expression pattern") as err:
            s3_uri(refused, "InputDataConfig.1.DataSource.S3DataSource.S3Uri")
        assert "InputDataConfig.1.DataSource.S3DataSource.S3Uri" in err.value.message
    with pytest.raises(ValidationException, match="s3://bucket/key"):
        s3_uri("https://bucket.s3.amazonaws.com/x", "F")


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("member", ["../evil.py", "a/../../evil.py", "code/../../evil.py"])
def test_archive_members_escaping_the_destination_are_refused(tmp_path, member):
    archive = _tar(tmp_path / "src.tar.gz", {"ok.py": b"x", member: b"y"})
    with pytest.raises(ValidationException, match="unsafe member"):
        extract_tar(archive, tmp_path / "dest" / "code", "HyperParameters.sagemaker_submit_directory")
    assert not list(tmp_path.rglob("evil.py"))


def test_absolute_member_names_land_inside_the_destination(tmp_path):
    archive = _tar(tmp_path / "src.tar.gz", {"/abs/evil.py": b"y"})
    extract_tar(archive, tmp_path / "dest", "F")
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("evil.py")] == [
        Path("dest/abs/evil.py")]


def test_archives_round_trip(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.pt").write_bytes(b"w")
    write_tar_gz(tmp_path / "model", tmp_path / "out" / "model.tar.gz")
    extract_tar(tmp_path / "out" / "model.tar.gz", tmp_path / "back", "F")
    assert (tmp_path / "back" / "weights.pt").read_bytes() == b"w"


def test_metric_regexes_keep_every_value_and_report_the_last(tmp_path):
    parser = MetricParser([{"Name": "loss", "Regex": r"loss=([0-9.]+)"},
                           {"Name": "acc", "Regex": r"acc=([0-9.]+)"}], sink=tmp_path / "m.jsonl")
    when = datetime.now(timezone.utc)
    for line in ("epoch=0 loss=0.9 acc=0.5", "noise loss=nan", "epoch=1 loss=0.4"):
        parser.feed(line, when)
    assert [(m["MetricName"], m["Value"]) for m in parser.final()] == [("loss", 0.4), ("acc", 0.5)]
    assert read_series(tmp_path / "m.jsonl") == {"loss": [0.9, 0.4], "acc": [0.5]}
    with pytest.raises(ValidationException, match=r"MetricDefinitions.1.Regex"):
        MetricParser([{"Name": "bad", "Regex": "(unclosed"}])


def test_transitions_close_the_previous_status_and_set_the_primary():
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    doc: dict = {}
    transition(doc, "Starting", when=start)
    doc["TrainingStartTime"] = start
    transition(doc, "Training", when=start + timedelta(seconds=2))
    assert doc["TrainingJobStatus"] == "InProgress"
    transition(doc, "MaxRuntimeExceeded", when=start + timedelta(seconds=5))
    assert doc["TrainingJobStatus"] == "Stopped"
    assert doc["SecondaryStatusTransitions"][0]["EndTime"] == start + timedelta(seconds=2)
    finish_times(doc, start + timedelta(seconds=5))
    assert doc["TrainingTimeInSeconds"] == doc["BillableTimeInSeconds"] == 5


def test_failure_reason_prefers_the_failure_file_then_the_log_tail(tmp_path):
    paths = JobPaths.of(tmp_path, "j")
    paths.create()
    paths.log.write_text("line\n" * 50 + "Traceback...\nKeyError: 'label'\n")
    reason = artifacts.failure_reason(paths, 1, ["python", "train.py", "--lr", "1"])
    assert "ExitCode 1" in reason and "KeyError: 'label'" in reason and len(reason) <= 1024
    assert 'Command "train.py --lr 1"' in reason
    paths.failure.write_text("label file missing")
    assert artifacts.failure_reason(paths, 1, ["python"]) == "AlgorithmError: label file missing"


def test_entry_point_is_required_with_a_clear_message():
    with pytest.raises(ValidationException, match="sagemaker_program"):
        staging.entry_point({"lr": "0.1"})


def test_pages_sort_filter_and_reject_foreign_tokens():
    docs = [{"Name": n, "Status": s, "CreationTime": datetime(2024, 1, i + 1, tzinfo=timezone.utc)}
            for i, (n, s) in enumerate([("b", "Completed"), ("a", "Failed"), ("c", "Completed")])]
    items, token = page(docs, {"MaxResults": 1}, status_key="Status", name_key="Name")
    assert [d["Name"] for d in items] == ["c"] and token == "1"
    items, _ = page(docs, {"StatusEquals": "Completed", "SortBy": "Name", "SortOrder": "Ascending"},
                    status_key="Status", name_key="Name")
    assert [d["Name"] for d in items] == ["b", "c"]
    with pytest.raises(ValidationException, match="NextToken"):
        page(docs, {"NextToken": "garbage"}, status_key="Status", name_key="Name")
