"""`python -m newsletter.cli …`: the same as the `newsletter` command."""

from . import run

if __name__ == "__main__":
    run()
