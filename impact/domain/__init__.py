"""The programme's rules, as event-sourced aggregates. Pure: no I/O, no drivers."""
