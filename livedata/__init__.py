"""LiveData: broker market data normalized onto Redis, for apps that never talk to a broker."""

__version__ = "0.1.0"
