"""Source systems run locally for the demo and the tests: the one-stop-shop service."""
