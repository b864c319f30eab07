#!/usr/bin/env python
"""Django's command-line utility for QAF."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaf.settings")
    # Writing or checking migrations only reads the models: it needs no production secrets,
    # so a bare checkout can run `manage.py makemigrations --check` (CI, hooks).
    if sys.argv[1:2] == ["makemigrations"]:
        os.environ.setdefault("QAF_ENV", "development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
