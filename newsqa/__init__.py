"""newsqa: answers questions about news articles with checked citations."""

__version__ = "0.1.0"
