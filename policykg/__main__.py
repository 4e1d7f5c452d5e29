"""`python -m policykg` = the `policykg` command."""

from policykg.cli import main

main()
