"""``python -m personalize_deletion_local``: the rehearsal's command line (see :mod:`.cli`)."""

import sys

from .cli import main

sys.exit(main())
