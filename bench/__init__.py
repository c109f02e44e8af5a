"""Benchmarks of the bot against the loopback fakes; `bench/run --help` lists the options."""
