"""Deploy the pipeline to AWS: the CloudFormation template, packaging, change-set deploys, teardown."""
