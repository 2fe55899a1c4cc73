"""``python -m gast_pyg.cli`` (as used under ``torchrun``) is ``gast-pyg``."""
import sys

from gast_pyg.cli import main

sys.exit(main())
