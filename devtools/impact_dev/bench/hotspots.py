"""Top frames of one thread in a py-spy raw profile (``py-spy record -f raw --threads``).

    python -m impact_dev.bench.hotspots PROFILE.txt [--under FUNCTION] [--thread MainThread]
        [--top 40]

Prints, for the samples of that thread whose stack passes through FUNCTION (all of them
by default), the share of samples each frame is on the stack (inclusive) and at the top
of it (self). Record with ``--idle`` to count time spent waiting (I/O, locks) as well.
``impact-dev bench --profile DIR`` records every measured phase of ours this way (when py-spy
is installed) and writes this report beside each profile.
"""

import argparse
from collections import Counter


def hotspots(profile: str, under: str = "", thread: str = "MainThread", top: int = 40) -> str:
    """The report as text."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(profile, encoding="utf-8") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if thread and thread not in frames[0]:
                continue
            if under:
                start = next((i for i, f in enumerate(frames) if f.startswith(under)), None)
                if start is None:
                    continue
                frames = frames[start:]
            n = int(count)
            total += n
            own[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
    out = [f"{total} samples of {thread or 'every thread'}" + (f" under {under}" if under else "")]
    if total:
        out.append("inclusive:")
        out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
        out.append("self:")
        out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top // 2)]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--under", default="")
    parser.add_argument("--thread", default="MainThread")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    print(hotspots(args.profile, args.under, args.thread, args.top))


if __name__ == "__main__":
    main()
