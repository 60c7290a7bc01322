import logging

from livedata.logs import RedactingFormatter, redact


def test_tokens_secrets_codes_and_passwords_are_redacted():
    text = redact(
        'access_token=abc.def refresh_token: "r1" {"id_token": "xyz"} client_secret=s3 '
        "code=C0DE%40 Authorization: Bearer tok123 redis://user:pw@host:6379/0"
    )
    for secret in ("abc.def", "r1", "xyz", "s3", "C0DE", "tok123", "pw@"):
        assert secret not in text
    assert "redis://user:***@host:6379/0" in text
    assert "access_token=***" in text


def test_the_formatter_redacts_arguments_too():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "got %s", ("refresh_token=zzz",), None
    )
    assert "zzz" not in RedactingFormatter("%(message)s").format(record)


def test_libraries_that_log_tokens_stay_quiet_even_at_debug():
    from livedata.logs import setup_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging("DEBUG")
    try:
        assert logging.getLogger("requests_oauthlib").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("websockets.client").getEffectiveLevel() == logging.WARNING
    finally:
        root.handlers[:], root.level = handlers, level
