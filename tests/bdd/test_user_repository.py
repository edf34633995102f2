"""A user's repository runs features through the installed plugin, and nothing else.

The repository is built in a temporary folder as docs/bdd-steps.md shows it, from the page's
own examples (feature, conftest step, fixture test): its own ``tests`` package, a station beside
the feature and one in a folder its ini names.
evbench is installed into a fresh virtual environment from this checkout (a real ``pip
install``, without its dependencies: those are reached through a path file pointing at the
running environment, with evbench's own editable install left out), and the repository's tests
run with that environment's pytest.
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
SHIPPED_STATION = CHECKOUT / "scenarios" / "stations" / "ac-1-connector.yaml"
PAGE = CHECKOUT / "docs" / "bdd-steps.md"

REPLUG = '''Feature: Plugging in and out
  Scenario: Each plug-in starts a session
    Given the station "evbench:ac-1-connector"
    And a "sedan-3ph-11kw" car
    And free charging is enabled
    When the car is plugged in and out 2 times
    Then the timeline shows SessionStarted twice
'''

FAILING = '''Feature: A wrong expectation
  Scenario: The wallbox offers more than it is rated for
    Given the station "rated-16a"
    And a "sedan-3ph-11kw" car
    And free charging is enabled
    When the car is plugged in
    And 60 s pass
    Then the PWM duty is 53.33 %
'''


def _page_example(language: str, containing: str) -> str:
    """A code block of docs/bdd-steps.md: the repository runs the page's own examples."""
    blocks = re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if containing in b]
    return block


def _user_repository(root: Path) -> Path:
    """The layout docs/bdd-steps.md shows, plus a feature using the page's own step, and a
    failing one with a station from a folder the ini option names."""
    tests = root / "tests"
    (tests / "stations").mkdir(parents=True)
    (tests / "features").mkdir()
    (root / "configs").mkdir()
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n"
                                         "addopts = '-p no:cacheprovider'\n"
                                         "evbench_stations = ['configs']\n")
    (tests / "__init__.py").write_text("")
    (tests / "conftest.py").write_text(_page_example("python", "# tests/conftest.py"))
    # The wallbox is the shipped station rated 16 A (26.67 % duty) instead of 32 A (53.33 %).
    station = SHIPPED_STATION.read_text().replace("max_current_a: 32", "max_current_a: 16")
    (tests / "stations" / "my-charger.yaml").write_text(station)
    (root / "configs" / "rated-16a.yaml").write_text(station)
    (tests / "charging.feature").write_text(_page_example("gherkin", "Feature: My charger"))
    (tests / "replug.feature").write_text(REPLUG)
    (tests / "test_charging.py").write_text(
        'from pytest_bdd import scenarios\n\nscenarios("charging.feature", "replug.feature")\n')
    (tests / "test_station.py").write_text(_page_example("python", "def test_charging_starts"))
    (tests / "features" / "failing.feature").write_text(FAILING)
    (tests / "test_failing.py").write_text(
        'from pytest_bdd import scenarios\n\nscenarios("features/failing.feature")\n')
    return root


def _fresh_environment(venv: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                              "'purelib'))"], check=True, capture_output=True, text=True)
    # The running environment's packages as plain path entries: their .pth files (evbench's
    # editable install among them) are not processed, so only the new install provides evbench.
    Path(purelib.stdout.strip(), "dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--disable-pip-version-check", str(CHECKOUT)], check=True)
    return python


def _pytest(python: Path, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "PYTHON")) and k != "VIRTUAL_ENV"}
    return subprocess.run([python, "-m", "pytest", "-q", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_user_repository_runs_its_features_through_the_installed_plugin(tmp_path: Path) -> None:
    repo = _user_repository(tmp_path / "my-charger-tests")
    python = _fresh_environment(tmp_path / "venv")

    where = subprocess.run([python, "-c", "import evbench.bdd; print(evbench.bdd.__file__)"],
                           cwd=repo, check=True, capture_output=True, text=True).stdout
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), where

    passing = _pytest(python, repo, "tests/test_charging.py", "tests/test_station.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "3 passed" in passing.stdout

    failing = _pytest(python, repo, "tests/test_failing.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "1 failed" in failing.stdout
    assert "the PWM duty was 26.667 %" in failing.stdout, failing.stdout
    assert "wanted 53.33 %" in failing.stdout
