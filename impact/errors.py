"""The project's exceptions.

Every error the ledger raises on purpose derives from one root::

    ImpactError
    ├── DomainError                     a rule of the programme was broken (impact.domain.errors)
    │   └── ... one subclass per rule
    ├── ConfigurationError              a setting is missing or malformed
    ├── InfrastructureError             a service could not be reached or used
    │   ├── LogError                    Kafka refused or lost a read or a write
    │   └── ProjectionStoreError        ClickHouse refused a statement
    └── ContractError                   a message does not match the public contract

Adapters translate their library's exceptions into these with ``raise ... from exc``,
so nothing from kafka-python or clickhouse-connect leaks past them.
"""


class ImpactError(Exception):
    """Root of every error the ledger raises on purpose."""


class ConfigurationError(ImpactError):
    """A setting is missing or malformed."""


class InfrastructureError(ImpactError):
    """A service the ledger depends on could not be reached or used."""


class LogError(InfrastructureError):
    """Kafka refused or failed a read or a write on the event log."""


class ProjectionStoreError(InfrastructureError):
    """ClickHouse refused a statement or could not be opened."""


class ContractError(ImpactError):
    """A message does not match the public contract."""
