"""The HTTP API: certification bodies, the DITP, operators and the public, each with what they may do."""
