"""A package that installs anywhere: the wheel carries the model and the data files the runtime reads, and an install
from it analyses an email in any folder; the checkout's data/ and models/ stay the source, and the overrides hold."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PY = sys.executable


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANALYSER_DATA_DIR", "ANALYSER_MODELS_DIR")}
    return {**env, **extra}


def _paths(python: str, cwd: Path, **extra) -> dict:
    code = "import json, analyser.config as c; print(json.dumps({k: str(getattr(c, k)) for k in ('DATA_DIR', 'MODEL_DIR')}))"
    run = subprocess.run([python, "-c", code], cwd=cwd, env=_env(**extra), capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def test_a_checkout_reads_its_own_data_and_models_and_the_overrides_win(tmp_path):
    assert _paths(PY, tmp_path) == {"DATA_DIR": str(ROOT / "data"), "MODEL_DIR": str(ROOT / "models" / "reasons")}
    moved = _paths(PY, tmp_path, ANALYSER_DATA_DIR=str(tmp_path / "d"), ANALYSER_MODELS_DIR=str(tmp_path / "m"))
    assert moved == {"DATA_DIR": str(tmp_path / "d"), "MODEL_DIR": str(tmp_path / "m" / "reasons")}


@pytest.mark.slow
def test_a_wheel_installed_in_a_clean_venv_analyses_an_email_from_another_folder(tmp_path):
    # build from a copy of the working tree, so the build leaves nothing in the shared checkout
    src = tmp_path / "src"
    junk = (
        ".git",
        ".venv",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "test-artifacts",
    )
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*junk))
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [PY, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)], capture_output=True, text=True
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("analyser-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = "analyser/_bundled/"
    assert f"{bundled}models/reasons/config.cfg" in names and f"{bundled}models/reasons/reasons/weights.npz" in names
    for p in (ROOT / "data").iterdir():
        if p.is_file():
            assert f"{bundled}data/{p.name}" in names
    assert not [
        n for n in names if n.startswith(tuple(f"{bundled}data/{d}/" for d in ("labelled", "demo", "extraction")))
    ]

    # a venv of its own; the project's dependencies reached through a .pth file, the package itself only from the wheel
    venv = tmp_path / "venv"
    subprocess.run([PY, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(ROOT / "examples" / "rejection.txt", elsewhere / "email.txt")
    paths = _paths(python, elsewhere)
    assert all(Path(p).is_relative_to(Path(site) / "analyser" / "_bundled") for p in paths.values()), paths
    cli = str(venv / "bin" / "analyser")
    run = subprocess.run(
        [cli, "analyse", "--json", "--file", "email.txt"], cwd=elsewhere, env=_env(), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    installed = json.loads(run.stdout)
    assert [r["reason"] for r in installed["reasons"]] == ["skills"]
    assert installed["skills_gaps"] == ["SQL", "Power BI"] and installed["signals"]["door_open"] is True
    from analyser import analyse

    assert installed == analyse((ROOT / "examples" / "rejection.txt").read_text()).to_dict()  # the checkout's answer

    # the override still applies to an installed package: a folder without a model is exit 3, saying where it looked
    missing = subprocess.run(
        [cli, "analyse", "--file", "email.txt"],
        cwd=elsewhere,
        env=_env(ANALYSER_MODELS_DIR=str(tmp_path / "none")),
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 3 and str(tmp_path / "none") in missing.stderr
