"""The pipeline as a user runs it: default input, local set-up, progress and summary."""
