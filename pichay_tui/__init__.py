"""pichay-tui: demand paging for LLM agent context windows."""
__version__ = "0.1.0"
