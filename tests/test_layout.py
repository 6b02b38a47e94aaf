"""The repository layout must not shadow the `constructs` library aws-cdk-lib depends on."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[1]


def test_import_constructs_gives_the_real_library() -> None:
    # GIVEN a checkout with a top-level constructs/ folder (our source root)
    assert (ROOT / "constructs").is_dir()
    # WHEN the name `constructs` is imported
    import constructs

    # THEN it is the jsii library from site-packages, not our folder
    assert hasattr(constructs, "Construct")
    assert "site-packages" in Path(constructs.__file__).parts
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_source_roots_hold_the_importable_packages() -> None:
    # GIVEN the editable install WHEN our packages are imported THEN they come from the roots
    import personalize_data_deletion
    import personalize_deletion_runtime

    assert Path(personalize_data_deletion.__file__).parent.parent == ROOT / "constructs"
    assert Path(personalize_deletion_runtime.__file__).parent.parent == ROOT / "lambda"
