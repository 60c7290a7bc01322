"""The errors LiveData raises on purpose; each message says what to fix."""


class LiveDataError(Exception):
    """Base class of every LiveData error."""


class SettingsError(LiveDataError, ValueError):
    """An environment variable holds a value LiveData cannot use."""


class InvalidSymbol(LiveDataError, ValueError):
    """A symbol is empty, too long, or has characters outside [A-Z0-9/$._:-]."""


class InvalidQuote(LiveDataError, ValueError):
    """A payload is not a quote: missing symbol, non-numeric or non-finite price, bad time."""


class InvalidAccountEvent(LiveDataError, ValueError):
    """An account payload has an unknown kind or an unusable account id."""
