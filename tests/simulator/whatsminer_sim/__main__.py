"""Entry point: ``PYTHONPATH=tests/simulator python -m whatsminer_sim``."""

import sys

from .cli import main

sys.exit(main())
