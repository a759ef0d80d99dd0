"""``python -m rostra`` runs the command line."""

import sys

from rostra.cli import main

sys.exit(main())
