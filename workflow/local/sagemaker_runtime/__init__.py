"""The local SageMaker Runtime service: InvokeEndpoint, routed to an endpoint's instances.

The backend is ``backend.SageMakerRuntimeBackend``; other services use ``facade`` only
(importing this package must not import the backend, which reaches SageMaker, which reaches
back here).
"""
