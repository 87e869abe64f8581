"""Pure-numpy model of Trask's binary-addition RNN (no UI imports here)."""
