"""`python -m circles_hinge` is the same as the `circles-hinge` command."""

from circles_hinge.cli.app import main

main()
