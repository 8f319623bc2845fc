"""`python -m bot` is the same as the `derivbot` command."""

from bot.cli import main

raise SystemExit(main())
