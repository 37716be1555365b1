"""The replay debugger: a terminal app to find a conversation in a store and walk through it.

Only :mod:`a2a_observe.tui.command` is imported by the CLI, and it loads Textual when the
debugger starts, so the CLI, the store and the replay core work without Textual installed.
"""
