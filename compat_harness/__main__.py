"""``python -m compat_harness`` is the ``compat`` command."""

import sys

from compat_harness.cli import main

sys.exit(main())
