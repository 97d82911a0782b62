"""Benchmarks of the ledger's pipeline against raw baselines measured in the same run.

``impact bench`` (``impact.cli_bench``) drives them; ``bench.runner`` orchestrates,
``bench.worker`` is the subprocess that runs one measured phase (chDB opens one path per
process, and each phase's peak memory and CPU time are its own), ``bench.generate``
builds the cached event stores and topics, ``bench.chart`` draws the ratios.
"""
