"""``python -m personalize_deletion_local``: the rehearsal's command line (see :mod:`.cli`)."""

import sys

from .extra import missing_message

if (message := missing_message()) is not None:
    print(message, file=sys.stderr)
    sys.exit(2)

from .cli import main

sys.exit(main())
