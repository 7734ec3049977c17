"""`python -m newsletter …`: the same as the `newsletter` command."""

from .cli import run

if __name__ == "__main__":
    run()
