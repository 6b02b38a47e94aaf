"""The library works when pip-installed into another CDK app, Lambda code included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONSUMER_APP = """
import json, sys
import aws_cdk as cdk
import personalize_data_deletion, personalize_deletion_runtime
from personalize_data_deletion import PersonalizeDataDeletion, UserList

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "Consumer", env=cdk.Environment(account="123456789012", region="eu-west-1"))
PersonalizeDataDeletion(stack, "Deletion").delete_users(
    "consumer", dataset_group_arn="arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",
    users=UserList.from_ids(["u1", "u2"]))
app.synth()
print(json.dumps({"lib": personalize_data_deletion.__file__,
                  "runtime": personalize_deletion_runtime.__file__}))
"""


def test_wheel_installs_into_a_fresh_venv_and_synthesizes(tmp_path: Path) -> None:
    # GIVEN a wheel built from the checkout
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(dist.glob("personalize_data_deletion-*.whl"))
    # AND a fresh venv outside the repository; its dependencies (aws-cdk-lib, constructs) come
    # from this environment's site-packages as plain paths, so our editable install is not seen
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True
    )
    # WHEN a consumer app outside the repository synthesizes a stack with the construct
    app = tmp_path / "consumer"
    app.mkdir()
    (app / "app.py").write_text(CONSUMER_APP)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    result = subprocess.run(
        [python, "app.py", str(app / "cdk.out")],
        cwd=app,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    # THEN both packages come from the installed distribution, not the checkout
    paths = json.loads(result.stdout.strip().splitlines()[-1])
    assert str(venv) in paths["lib"] and str(venv) in paths["runtime"]
    # AND the Lambda asset holds exactly the runtime package
    assets = json.loads((app / "cdk.out" / "Consumer.assets.json").read_text())["files"]
    code = [
        app / "cdk.out" / a["source"]["path"]
        for a in assets.values()
        if (app / "cdk.out" / a["source"]["path"] / "personalize_deletion_runtime").is_dir()
    ]
    assert len(code) == 1
    assert sorted(p.name for p in code[0].iterdir()) == ["personalize_deletion_runtime"]
    shipped = {p.name for p in (code[0] / "personalize_deletion_runtime").iterdir()}
    assert {"handlers.py", "lifecycle.py", "user_list.py"} <= shipped
    assert "__pycache__" not in shipped
