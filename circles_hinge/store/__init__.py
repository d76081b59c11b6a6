"""The folder store: run folders claimed, written atomically and marked with their status, listing
them, and where a run ran. Imports only the vocabulary."""
