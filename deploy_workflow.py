#!/usr/bin/env python3
"""The one command line: run the pipeline locally, deploy it to AWS, inspect executions.

Thin on purpose: argument parsing lives in ``workflow.cli``.
"""
import gc
import sys

from workflow.cli.main import main

if __name__ == "__main__":
    status = main()
    # The process ends here. Without this, the collector's last pass at shutdown walks
    # every object botocore loaded (its service models: 0.1-0.3 s after a run) to free
    # memory the operating system takes back anyway.
    gc.freeze()
    sys.exit(status)
