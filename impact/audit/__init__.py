"""What auditors get: a tamper-evident log, replays as of any time, reproductions, histories.

chain       the hash chain of ``impact.events`` and the signed checkpoints (the design)
verify      event store ↔ ``impact.events`` ↔ checkpoints, end to end, failures located
signatures  agency signatures behind the events that submissions caused
replay      the log from offset 0 into a fresh ClickHouse database, as of a recorded time;
            reproducing recorded reviews byte for byte
history     a proposal's or programme's timeline, from the log
erasure     destroying a citizen's key; nothing in the log is rewritten
log         reading a topic end to end (committed records only)

The commands are ``impact audit …`` and ``impact privacy …`` (``impact/cli/audit.py``).
"""
