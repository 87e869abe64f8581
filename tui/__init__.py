"""rnn-tui: watch Trask's tiny RNN learn binary addition, one timestep at a time."""

__version__ = "0.1.0"
