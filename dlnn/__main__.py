"""`python -m dlnn`: the command line (see dlnn.cli)."""

import sys

from dlnn.cli import main

sys.exit(main())
