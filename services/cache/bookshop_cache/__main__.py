"""`python -m bookshop_cache`: run the service with settings from the environment."""

from __future__ import annotations

from bookshop_common import run_service

from .main import create_app
from .settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
