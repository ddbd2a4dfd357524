"""The local Application Auto Scaling service (SageMaker endpoint variants).

The backend is ``backend.AutoScalingBackend``; other services use ``facade`` only (importing
this package must not import the backend, which reaches SageMaker, which reaches back here).
"""
