"""The Schwab provider: OAuth login and token upkeep, REST, the streamer, the process and CLI."""
