"""Train the shipped sentiment head (fixed seeds) and regenerate the model card: the flow behind `vocmine train`."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from vocmine import settings
from vocmine.train.sentiment import train_sentiment


@task(cache_policy=NO_CACHE)
def train_head(out: str, data: str) -> dict:
    return train_sentiment(Path(out), Path(data))


@flow(name="train", log_prints=True)
def train(out: str = str(settings.DEFAULT_MODEL_DIR), data: str = str(settings.SHARED_DATA_DIR)) -> dict:
    """Returns the training report (also written to ``<out>/training.json``)."""
    report = train_head(out, data)
    for name, score in report["dev_scores"].items():
        print(f"{name:45s} {score:.4f}")
    return report


if __name__ == "__main__":
    train()
