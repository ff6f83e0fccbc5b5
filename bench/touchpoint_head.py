"""The trained touchpoint figures of ``vocmine evaluate`` over several training seeds (CPU, a minute).

    python bench/touchpoint_head.py [--model models/vocmine-default] [--seeds 13,1,2]

One line per seed with the trained figures (SemEval-2016 ru dev, MAMS test), then their mean and range: a head
whose figure moves by 0.02 with the seed cannot be compared with a target 0.01 away on one seed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine import settings  # noqa: E402
from vocmine.nlp.model import VocModel  # noqa: E402
from vocmine.train.touchpoints import TouchpointTrainConfig, figures  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=settings.DEFAULT_MODEL_DIR)
    ap.add_argument("--seeds", default="13,1,2")
    ap.add_argument("--data", type=Path, default=settings.SHARED_DATA_DIR)
    args = ap.parse_args()
    model = VocModel.from_pretrained(args.model)
    runs: dict[str, list[float]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        trained = [
            f for f in figures(model, args.data, TouchpointTrainConfig(seed=seed)) if f.setting == "trained"
        ]
        print(f"seed {seed:3d}: " + "  ".join(f"{f.dataset} {f.value:.4f}" for f in trained), flush=True)
        for f in trained:
            runs.setdefault(f.dataset, []).append(f.value)
    for name, v in runs.items():
        print(f"{name}: mean {sum(v) / len(v):.4f}, range {min(v):.4f}-{max(v):.4f}")


if __name__ == "__main__":
    main()
