"""The local AWS server: one loopback HTTP server speaking the AWS wire protocols.

A protocol layer turns HTTP into (operation, validated params) with botocore's
service models; plain service backends (see ``backend.py``) hold state and
logic and know nothing of HTTP.
"""
