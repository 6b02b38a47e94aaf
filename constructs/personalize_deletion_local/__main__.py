"""``python -m personalize_deletion_local rehearse``: see :mod:`.rehearsal`."""

import sys

from .rehearsal import main

sys.exit(main())
