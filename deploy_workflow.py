#!/usr/bin/env python3
"""The one command line: run the pipeline locally, deploy it to AWS, inspect executions.

Thin on purpose: argument parsing lives in ``workflow.cli``.
"""
import sys

from workflow.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
