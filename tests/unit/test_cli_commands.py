"""The command table the CLI imports from: each command's module, and nothing else, is loaded."""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from workflow.cli.main import COMMANDS, build_parser

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", sorted(COMMANDS))
def test_each_module_adds_exactly_the_commands_listed_for_it(module: str) -> None:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(sub)
    assert tuple(sub.choices) == COMMANDS[module]


def test_an_unknown_command_gets_the_full_list_in_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser("deplyo").parse_args(["deplyo"])
    error = capsys.readouterr().err
    assert "invalid choice: 'deplyo'" in error
    for names in COMMANDS.values():
        for name in names:
            assert name in error


def test_the_run_command_line_does_not_import_boto3_before_it_starts_the_server() -> None:
    probe = ("import sys\n"
             "from workflow.cli.main import build_parser\n"
             "build_parser('run')\n"
             "print(sorted(m for m in sys.modules if m in ('boto3', 'botocore.session')))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
