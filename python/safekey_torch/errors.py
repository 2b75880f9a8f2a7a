class SafekeyError(Exception):
    """A problem with the user's input (config, data, checkpoint), as one line naming the file and the field."""
