"""Subcommands of ``deploy_workflow.py``: one module per command group."""
