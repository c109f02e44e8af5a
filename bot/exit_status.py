"""Exit statuses of the command line."""

# A check failed, a task was not found, or something outside the settings is wrong: the Bot
# API or the task API out of reach, the database or a port held by another process.
EXIT_FAILURE = 1
# A missing or invalid setting or argument, as for a command-line usage error.
EXIT_USAGE = 2
