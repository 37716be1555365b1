"""The replay debugger: a terminal app to find a conversation in a store and walk through it.

The CLI's ``replay`` command (:mod:`a2a_observe.cli.debugger`) imports it only when the
debugger starts, so the CLI, the store and the replay core work without Textual installed.
"""
