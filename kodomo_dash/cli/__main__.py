"""`python -m kodomo_dash.cli`: the same as the `kodomo` command."""

import sys

from kodomo_dash.cli import main

sys.exit(main())
