"""The one exception type the command line turns into a one-line message and a non-zero exit."""


class NextframeError(ValueError):
    """Bad input, missing or corrupt files, or a model/data mismatch; the message names the problem and the fix."""
