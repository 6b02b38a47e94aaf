"""A removed list stays removed: the pinned CDK CLI counts its tombstone as a published asset.

``cdk deploy`` uploads a file asset whose key is missing, and also one whose object holds at
most 22 bytes (the size of an empty zip): an empty tombstone had every later deploy upload the
list again, ids and all, with no handler run to remove it. These tests run the CLI's own
``objectExists`` (taken from the pinned ``node_modules/aws-cdk``) on S3 listings, beside the
runtime's tombstone and the rehearsal's emulation of the same rule.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from personalize_deletion_local.rehearsal.stack_run import CLI_EMPTY_ASSET_BYTES, published_in
from personalize_deletion_runtime import staging

pytestmark = pytest.mark.synth

CLI = Path(__file__).resolve().parents[1] / "node_modules" / "aws-cdk" / "lib" / "index.js"
JOB = "pdd-gdpr-2026-11-bdac8c4d5853"
KEY = f"cdk-assets/{JOB}.csv"


def _cli_object_exists(listings: list[dict]) -> list[bool]:
    """The CLI's ``objectExists(s3, bucket, key)`` for ``KEY``, once per ``ListObjectsV2``
    answer, run by Node from the CLI's own source."""
    source = CLI.read_text()
    [function] = re.findall(
        r"async function objectExists\(s3, bucket, key\) \{.*?\n\}", source, re.S
    )
    [empty_zip] = re.findall(r"\bEMPTY_ZIP_FILE_SIZE = (\d+);", source)
    script = f"""
const EMPTY_ZIP_FILE_SIZE = {empty_zip};
{function}
(async () => {{
  const answers = [];
  for (const listing of {json.dumps(listings)}) {{
    const s3 = {{ listObjectsV2: async (request) => {{
      if (request.Prefix !== {json.dumps(KEY)} || request.MaxKeys !== 1)
        throw new Error("asked otherwise");
      return listing;
    }} }};
    answers.push(await objectExists(s3, "bucket", {json.dumps(KEY)}));
  }}
  console.log(JSON.stringify({{ emptyZip: EMPTY_ZIP_FILE_SIZE, answers }}));
}})();
"""
    result = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=60
    )
    answer = json.loads(result.stdout)
    assert answer["emptyZip"] == staging.CLI_EMPTY_ASSET_BYTES == CLI_EMPTY_ASSET_BYTES
    return answer["answers"]


def test_the_cli_counts_a_tombstone_as_published_and_the_rehearsal_agrees() -> None:
    # GIVEN the tombstone the handlers leave, and other objects the CLI could find at the key
    tombstone = staging.tombstone_body(JOB)
    listings = {
        "tombstone": {"Contents": [{"Key": KEY, "Size": len(tombstone)}]},
        "empty object (the former tombstone)": {"Contents": [{"Key": KEY, "Size": 0}]},
        "22 bytes": {"Contents": [{"Key": KEY, "Size": 22}]},
        "a list": {"Contents": [{"Key": KEY, "Size": 4096}]},
        "size unknown": {"Contents": [{"Key": KEY}]},
        "another key only": {"Contents": [{"Key": f"{KEY}.bak", "Size": 4096}]},
        "nothing": {"KeyCount": 0},
    }
    # WHEN the CLI's own check and the rehearsal's decide whether each is published
    cli = dict(zip(listings, _cli_object_exists(list(listings.values())), strict=True))
    rehearsal = {name: published_in(listing, KEY) for name, listing in listings.items()}
    # THEN the tombstone counts as published (the CLI leaves it), an empty object does not
    assert cli == {
        "tombstone": True,
        "empty object (the former tombstone)": False,
        "22 bytes": False,
        "a list": True,
        "size unknown": True,
        "another key only": False,
        "nothing": False,
    }
    # AND the rehearsal decides as the CLI does
    assert rehearsal == cli
    # AND the tombstone names the job and nothing else
    assert tombstone == f"removed after data deletion job {JOB} ended\n".encode()
