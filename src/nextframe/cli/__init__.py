"""The command line (`nextframe ...`)."""
