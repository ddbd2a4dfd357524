"""The protocol layer: HTTP in, (service, operation, validated params) to a
backend, the backend's dict (or error) back out in the service's wire format.
Everything is driven by botocore's service models.

Import from the modules (``protocol.dispatcher``, ``protocol.http``, ...): this package
imports none of them, so an endpoint worker can read HTTP heads (``protocol.head``)
without loading botocore's models.
"""
