"""`python -m openstrikes.cli`."""

from openstrikes.cli.main import main

raise SystemExit(main())
