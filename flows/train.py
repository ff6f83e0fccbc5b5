"""Train the shipped model (fixed seeds) and regenerate its card: the flow behind `vocmine train`.

The sentiment head, after a LoRA adapter of the encoder if asked. The aspect head reads the base encoder's token
states whatever the adapter (``vocmine.nlp.aspects.AspectPolarity``): `python -m vocmine.train.aspects` retrains it.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from vocmine import settings
from vocmine.train.adapter import AdapterTrainConfig
from vocmine.train.sentiment import SentimentTrainConfig, train_sentiment


@task(cache_policy=NO_CACHE)
def train_head(
    out: str, data: str, adapter: bool, adapter_from: str | None, int8: bool, adapter_init: str | None = None
) -> dict:
    cfg = SentimentTrainConfig(
        adapter=AdapterTrainConfig() if adapter else None,
        adapter_from=adapter_from,
        adapter_init=adapter_init,
        quantize=int8,
    )
    return train_sentiment(Path(out), Path(data), cfg)


@flow(name="train", log_prints=True)
def train(
    out: str = str(settings.DEFAULT_MODEL_DIR),
    data: str = str(settings.SHARED_DATA_DIR),
    adapter: bool = False,
    adapter_from: str | None = None,
    int8: bool = False,
    adapter_init: str | None = None,
) -> dict:
    """Returns the training report (also written to ``<out>/training.json``).

    ``adapter``: fine-tune the encoder with a LoRA adapter first (minutes on a GPU, hours on 2 CPU cores; from
    the adapter ``adapter_init`` if given; the run saves its state under ``.cache/checkpoints`` and the same
    command resumes it), or use the trained adapter folder ``adapter_from``.
    """
    report = train_head(out, data, adapter, adapter_from, int8, adapter_init)
    for name, score in report["dev_scores"].items():
        print(f"{name:45s} {score:.4f}")
    return report


if __name__ == "__main__":
    train()
