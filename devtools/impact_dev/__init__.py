"""Tools for developing the Busan impact ledger, kept out of the runtime package ``impact``.

``impact-dev infra``     the project-local Kafka broker (``impact_dev.broker``)
``impact-dev postgres``  the project-local PostgreSQL server (``impact_dev.postgres``)
``impact-dev bench``     the benchmarks against raw baselines (``impact_dev.bench``)

The dependency goes one way: this package imports ``impact``; ``impact`` never imports it.
"""
