"""Benchmarks of the ledger's pipeline against raw baselines measured in the same run.

``impact-dev bench`` (``impact_dev.bench.cli``) drives them; ``impact_dev.bench.runner``
orchestrates, ``impact_dev.bench.worker`` is the subprocess that runs one measured phase
(chDB opens one path per process, and each phase's peak memory and CPU time are its own),
``impact_dev.bench.generate`` builds the cached event stores and topics,
``impact_dev.bench.chart`` draws the ratios.
"""
