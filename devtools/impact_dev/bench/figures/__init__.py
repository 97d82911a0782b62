"""The measured figures, one module each: ``measure(bench, run)`` runs one run of the figure
(ours, then its baselines) and adds its samples to the session; ``review.measure(bench)``
runs once, with ``runs`` repeats inside its worker."""
