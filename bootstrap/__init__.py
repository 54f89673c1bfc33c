"""Assembly of the application: the Temporal worker, the demo province and the `hoso` command.

The one place allowed to import every layer; `core/` imports none of it.
"""
