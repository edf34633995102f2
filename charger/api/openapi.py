"""The API's OpenAPI description, as FastAPI derives it from the routes, kept in
docs/api-openapi.json so that it can be read (and diffed) without running a station.

    python -m charger.api.openapi            # print it
    python -m charger.api.openapi --write    # update docs/api-openapi.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-openapi.json"


def openapi_text() -> str:
    from charger.api.app import create_app

    # Building the routes needs no station: the module is reached only when a request comes.
    return json.dumps(create_app(None).openapi(), indent=2, sort_keys=True) + "\n"  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC.name}")
    args = parser.parse_args()
    if args.write:
        DOC.write_text(openapi_text(), encoding="utf-8")
    else:
        print(openapi_text(), end="")


if __name__ == "__main__":
    main()
