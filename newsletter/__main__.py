"""`python -m newsletter …`: the same as the `newsletter` command."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="newsletter")
