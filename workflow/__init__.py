"""A dog-breed classifier pipeline on one Amazon States Language state machine."""
