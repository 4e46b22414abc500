"""rfi-news: RFI's Chinese-language news as clean JSON Lines."""

__version__ = "0.1.0"
