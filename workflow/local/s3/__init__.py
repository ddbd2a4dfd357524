"""S3 on the local server: buckets and objects on disk, their records in the server's
SQLite store (``backend.S3Backend``), and the typed interface other local services use
(``access.S3Access``)."""
