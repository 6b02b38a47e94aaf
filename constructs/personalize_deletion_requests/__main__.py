"""``python -m personalize_deletion_requests PATH...``: the same as ``pdd-validate``."""

import sys

from .validate import main

sys.exit(main())
