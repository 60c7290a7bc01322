"""Fakes of outside services that tests (and a developer, by hand) run on localhost."""
