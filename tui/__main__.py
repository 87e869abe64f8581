"""`python -m tui` is `rnn-tui`."""

from tui.cli import entry_point

entry_point()
