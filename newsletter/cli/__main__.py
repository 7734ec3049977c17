"""`python -m newsletter.cli …`: the same as the `newsletter` command."""

from . import main

if __name__ == "__main__":
    main(prog_name="newsletter")
