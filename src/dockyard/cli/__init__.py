"""The command line: parse flags, call one workflow, render the result or the error."""
