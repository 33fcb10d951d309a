"""``python -m cellcourse`` runs the ``cellcourse`` command."""

import sys

from .cli import main

sys.exit(main())
