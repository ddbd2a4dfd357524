"""Code shared by the Lambda functions; packaged into every function's archive."""
