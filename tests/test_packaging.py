"""The library works when pip-installed into another CDK app, Lambda code included; the local
tooling comes with the ``[local]`` extra, and says so when it is missing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[1]
EXTRA_PACKAGES = {"boto3", "botocore", "moto"}
PACKAGES = (
    "personalize_data_deletion",
    "personalize_deletion_requests",
    "personalize_deletion_local",
    "personalize_deletion_runtime",
)

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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the checkout."""
    dist = tmp_path_factory.mktemp("dist")
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
    return next(dist.glob("personalize_data_deletion-*.whl"))


def fresh_venv(folder: Path, wheel: Path, *, dependencies: bool) -> Path:
    """A venv outside the repository with the wheel installed (no index); with
    ``dependencies`` this environment's site-packages is on its path as a plain folder, so its
    packages are importable but our editable install is not seen."""
    # no pip inside (ensurepip takes seconds): this environment's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    if dependencies:
        site = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = ["install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), *install], check=True)
    return python


@pytest.fixture(scope="module")
def consumer(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, str]]:
    """(venv python, consumer app folder, its output) after synthesizing a consumer app."""
    folder = tmp_path_factory.mktemp("installed")
    python = fresh_venv(folder / "venv", wheel, dependencies=True)
    app = folder / "consumer"
    app.mkdir()
    (app / "app.py").write_text(CONSUMER_APP)
    result = subprocess.run(
        [python, "app.py", str(app / "cdk.out")],
        cwd=app,
        env=_node_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return python, app, json.loads(result.stdout.strip().splitlines()[-1])


def _node_env() -> dict[str, str]:
    return dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])


def test_wheel_installs_into_a_fresh_venv_and_synthesizes(
    consumer: tuple[Path, Path, dict[str, str]],
) -> None:
    # GIVEN a consumer app outside the repository synthesized with the installed wheel
    python, app, paths = consumer
    # THEN both packages come from the installed distribution, not the checkout
    venv = str(python.parent.parent)
    assert venv in paths["lib"] and venv in paths["runtime"]
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
    # AND the installed runtime has its py.typed marker, which the Lambda asset leaves out
    assert (Path(paths["runtime"]).parent / "py.typed").is_file()
    assert "py.typed" not in shipped


def test_the_wheel_marks_every_package_as_typed(wheel: Path) -> None:
    # GIVEN the wheel built from the checkout
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    # THEN each of the four packages ships its PEP 561 marker, so type checkers read it
    assert {f"{package}/py.typed" for package in PACKAGES} <= names


def test_the_lambda_asset_from_a_checkout_leaves_out_the_py_typed_marker(tmp_path: Path) -> None:
    # GIVEN a checkout whose runtime package has its py.typed marker
    import aws_cdk as cdk
    import personalize_deletion_runtime
    from personalize_data_deletion import PersonalizeDataDeletion, UserList

    runtime = Path(personalize_deletion_runtime.__file__).parent
    assert (runtime / "py.typed").is_file()
    # WHEN a stack with a deletion request is synthesized from the checkout
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    PersonalizeDataDeletion(stack, "Deletion").delete_users(
        "checkout",
        dataset_group_arn="arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",
        users=UserList.from_ids(["u1"]),
    )
    app.synth()
    # THEN the handler code asset holds the runtime's modules but not the marker
    [code] = [p for p in tmp_path.glob("asset.*") if (p / runtime.name).is_dir()]
    shipped = {p.name for p in (code / runtime.name).iterdir()}
    assert "handlers.py" in shipped
    assert "py.typed" not in shipped


def test_the_local_extra_declares_what_the_tooling_imports(wheel: Path) -> None:
    # GIVEN the wheel's metadata
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [
            line.removeprefix("Requires-Dist: ")
            for line in archive.read(name).decode().splitlines()
            if line.startswith("Requires-Dist: ")
        ]
    # THEN boto3, botocore and moto (with its server) come only with the [local] extra
    local = sorted(r.split(";")[0].strip() for r in requires if 'extra == "local"' in r)
    assert local == ["boto3>=1.34", "botocore>=1.34", "moto[s3,server]>=5.0"]
    # AND the library itself needs only CDK, and PyYAML for request files in YAML
    plain = [r for r in requires if "extra ==" not in r]
    assert sorted(re.split(r"[<>=\[ ]", r)[0] for r in plain) == [
        "aws-cdk-lib",
        "constructs",
        "pyyaml",
    ]


def test_after_a_plain_install_the_rehearsal_names_the_extra_in_one_line(
    wheel: Path, tmp_path: Path
) -> None:
    # GIVEN a plain install: the wheel without its extras. Neither aws-cdk-lib nor constructs
    # brings boto3, botocore or moto, so a venv with none of them is what users have
    assert not _requirement_closure(["aws-cdk-lib", "constructs"]) & EXTRA_PACKAGES
    python = fresh_venv(tmp_path / "plain", wheel, dependencies=False)

    # WHEN the rehearsal is run
    result = subprocess.run(
        [python, "-m", "personalize_deletion_local", "rehearse", "--app-dir", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    # THEN it exits 2 with one line naming the extra to install, and no traceback
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "personalize_deletion_local needs boto3, botocore, moto, flask, which this "
        "environment lacks: pip install 'personalize-data-deletion[local]'\n",
    )


def test_with_the_extra_the_rehearsal_runs_on_an_app_outside_the_repository(
    consumer: tuple[Path, Path, dict[str, str]],
) -> None:
    # GIVEN the installed wheel with the extra's packages, and the consumer app's cloud assembly
    python, app, _ = consumer

    # WHEN the installed rehearsal plays it
    result = subprocess.run(
        [
            python,
            "-m",
            "personalize_deletion_local",
            "rehearse",
            "--app-dir",
            str(app),
            "--no-synth",
        ],
        cwd=app,
        env=_node_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )

    # THEN it passes, running the handler code packaged in the consumer's cdk.out
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  [Consumer/Deletion/consumer] Create -> SUCCESS after" in result.stdout
    assert result.stdout.rstrip().endswith("rehearsal passed: the deployment would succeed")


def _requirement_closure(names: list[str]) -> set[str]:
    """Every distribution ``names`` require, transitively, as installed here (extras aside)."""
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # a marker excludes it here (e.g. old Pythons)
            continue
        for requirement in requirements:
            if "extra ==" not in requirement:
                pending.append(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
    return seen
