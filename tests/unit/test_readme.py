"""The README's commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    test_command = bash_blocks(readme)[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci


def test_readme_main_command_installs_then_runs_a_torchtrade_command():
    main_command = bash_blocks((ROOT / "README.md").read_text())[0]
    assert main_command == "pip install torch==2.13.0 && pip install -e . && torchtrade demo"
