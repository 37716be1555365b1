"""The demo agent network: real a2a-sdk agents on 127.0.0.1 with real traffic."""
