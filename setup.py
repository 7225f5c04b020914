"""Build hook (the rest of the packaging is in pyproject.toml): the wheel carries what the runtime reads.

data/'s own files (taxonomy, lexicons, catalogues, name lists; not data/labelled, data/demo or data/extraction, which
are for training and evaluation) and models/ are copied to analyser/_bundled/ in the build, so a non-editable install
(`pip install .`, a wheel on a Dask worker) finds them. The checkout's data/ and models/ stay the source of truth:
nothing is copied into the source tree, and an editable install reads them where they are (see analyser/config.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = Path("analyser") / "_bundled"


def runtime_files() -> list[tuple[Path, Path]]:
    """(source, destination under the build folder) for every file an installed analyser reads from data/ and models/."""
    data, models = ROOT / "data", ROOT / "models"
    if not (models / "reasons" / "config.cfg").is_file():
        raise SystemExit(f"no trained model at {models / 'reasons'}: run `analyser train` before building a wheel")
    files = [(p, BUNDLED / "data" / p.name) for p in sorted(data.iterdir()) if p.is_file()]
    files += [
        (p, BUNDLED / "models" / p.relative_to(models))
        for p in sorted(models.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    return files


class BuildPyWithRuntimeData(build_py):
    """build_py, then the runtime's data files and model copied into the package (not for editable installs)."""

    def _bundles(self) -> bool:
        return not getattr(self, "editable_mode", False)

    def run(self):
        super().run()
        if not self._bundles():
            return
        target = Path(self.build_lib) / BUNDLED
        shutil.rmtree(target, ignore_errors=True)  # a file removed from models/ must not linger from an earlier build
        for src, dest in runtime_files():
            (Path(self.build_lib) / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, Path(self.build_lib) / dest)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if self._bundles():
            outputs += [str(Path(self.build_lib) / dest) for _, dest in runtime_files()]
        return outputs


setup(cmdclass={"build_py": BuildPyWithRuntimeData})
