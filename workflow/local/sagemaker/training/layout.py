"""Where a job's files live: a directory laid out like the container's /opt/ml.

<data_dir>/training-jobs/<name>/
    input/config/   hyperparameters.json, resourceconfig.json, inputdataconfig.json,
                    debughookconfig.json, profilerconfig.json
    input/data/<channel>/
    code/           the extracted source directory (the entry point runs here)
    model/          SM_MODEL_DIR, packed into model.tar.gz
    output/         SM_OUTPUT_DIR; output/failure holds the script's failure reason
    output/data/    SM_OUTPUT_DATA_DIR, packed into output.tar.gz
    checkpoints/    synced with CheckpointConfig.S3Uri
    debug-output/   the smdebug hook's tensors
    rule-output/    loss curve, rule summary, profiler report and system metrics
    training.log    everything the script printed
    launcher.pid    the id of the process the script runs under
    exit-code       the script's exit status, written when it ends
    metrics.jsonl   every metric value the MetricDefinitions regexes matched
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

JOBS_FOLDER = "training-jobs"


@dataclass(frozen=True)
class JobPaths:
    root: Path

    @classmethod
    def of(cls, data_dir: Path, name: str) -> JobPaths:
        return cls(Path(data_dir) / JOBS_FOLDER / name)

    @property
    def config(self) -> Path:
        return self.root / "input" / "config"

    @property
    def data(self) -> Path:
        return self.root / "input" / "data"

    @property
    def code(self) -> Path:
        return self.root / "code"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def output_data(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure(self) -> Path:
        return self.root / "output" / "failure"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def debug_output(self) -> Path:
        return self.root / "debug-output"

    @property
    def rule_output(self) -> Path:
        return self.root / "rule-output"

    @property
    def log(self) -> Path:
        return self.root / "training.log"

    @property
    def launcher_pid(self) -> Path:
        return self.root / "launcher.pid"

    @property
    def exit_code(self) -> Path:
        return self.root / "exit-code"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    def create(self) -> None:
        for path in (self.config, self.data, self.code, self.model, self.output_data,
                     self.checkpoints, self.rule_output):
            path.mkdir(parents=True, exist_ok=True)


def log_path(data_dir: Path, name: str) -> Path:
    """The log of training job ``name`` (what ``deploy_workflow.py logs`` prints)."""
    return JobPaths.of(data_dir, name).log
