from livedata import channels


def test_contract_v1_names_are_unchanged():
    assert channels.quote_channel("ES") == "live_data:quotes:ES"
    assert channels.LATEST_QUOTES == "live_data:latest:quotes"
    assert channels.QUOTE_STREAM == "live_data:stream:quotes"
    assert channels.PROVIDERS == "live_data:providers"
    assert channels.account_channel("positions", "abc") == "live_data:positions:abc"
    assert channels.account_channel("orders", "abc") == "live_data:orders:abc"
    assert channels.latest_account("balances") == "live_data:latest:balances"


def test_symbol_of_quote_channel_inverts_quote_channel():
    assert channels.symbol_of_quote_channel(channels.quote_channel("$SPX")) == "$SPX"
