"""Polarity toward a touchpoint: given a segment and a touchpoint, negative / neutral / positive.

One sentence often judges two touchpoints in opposite ways ("быстрая доставка, но приложение вылетает при
оплате"), so the sentence's own sentiment cannot say how it judges each. The head reads the encoder's token
states: a small transformer over [CLS; tokens], where each token carries its relevance to the touchpoint
(cosine to what sets the touchpoint's centroid apart from the taxonomy's other touchpoints), so any taxonomy's
touchpoints can be asked about, not only the restaurant aspects it was trained on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocmine.nlp.encoder import BATCH_TOKENS
from vocmine.nlp.heads import softmax

if TYPE_CHECKING:
    from collections.abc import Callable

    import torch

    from vocmine.nlp.encoder import Encoder
    from vocmine.nlp.touchpoints import TouchpointClassifier

POLARITIES = ("negative", "neutral", "positive")


@dataclass
class AspectConfig:
    dim: int = 384  # encoder hidden size
    width: int = 128  # small on purpose (about 310k weights): trained and run on a laptop CPU
    layers: int = 2
    heads: int = 4
    dropout: float = 0.1


def build_module(cfg: AspectConfig) -> torch.nn.Module:
    import torch
    from torch import nn

    class AspectNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # The touchpoint reaches the net only as two per-token relevance inputs (not as a vector it could
            # memorise), so a head trained on restaurant aspects can be asked about delivery or the app.
            self.tokens = nn.Linear(cfg.dim + 2, cfg.width)
            self.cls = nn.Parameter(torch.zeros(1, 1, cfg.width))
            layer = nn.TransformerEncoderLayer(
                cfg.width, cfg.heads, 2 * cfg.width, cfg.dropout, batch_first=True, norm_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
            self.out = nn.Sequential(nn.LayerNorm(cfg.width), nn.Linear(cfg.width, len(POLARITIES)))

        def forward(self, states: torch.Tensor, mask: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
            """states [b, t, dim], mask [b, t] (1 = token), query [b, dim] (``touchpoint_query``) → logits [b, 3]."""
            rel = torch.nn.functional.normalize(states, dim=-1) @ query.unsqueeze(-1)  # [b, t, 1]
            m = mask.unsqueeze(-1)
            n = m.sum(1, keepdim=True).clamp(min=1)
            mean = (rel * m).sum(1, keepdim=True) / n
            std = (((rel - mean) ** 2 * m).sum(1, keepdim=True) / n).sqrt()
            z = (rel - mean) / (std + 1e-4) * m  # which tokens of this sentence are most about the touchpoint
            x = self.tokens(torch.cat([states, 10.0 * rel, z], -1))
            x = torch.cat([self.cls.expand(len(x), -1, -1), x], 1)
            pad = torch.cat([torch.zeros_like(mask[:, :1]), 1 - mask], 1).bool()
            return self.out(self.encoder(x, src_key_padding_mask=pad)[:, 0])

    return AspectNet()


def token_states(encoder: Encoder, texts: list[str], batch_tokens: int = BATCH_TOKENS) -> list[np.ndarray]:
    """Last-layer token states per text ([n_tokens, dim], float32, special tokens kept), length-batched."""
    return encoder.token_states(texts, batch_tokens)


def touchpoint_query(classifier: TouchpointClassifier, touchpoint_id: str) -> np.ndarray:
    """What sets a touchpoint apart within its taxonomy: its centroid minus the mean centroid of the taxonomy.

    A token's raw cosine to a centroid mostly says whether it is a content word at all; the contrast with the
    other touchpoints says which one it is about ("доставка" → delivery, "приложение" → website_app).
    """
    mean = np.mean([classifier.centroid(t) for t in classifier.ids], axis=0)
    return (classifier.centroid(touchpoint_id) - mean).astype(np.float32)


def pad_states(states: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack variable-length token states into [n, t, dim] with a [n, t] mask."""
    width = max(len(s) for s in states)
    x = np.zeros((len(states), width, states[0].shape[1]), np.float32)
    m = np.zeros((len(states), width), np.float32)
    for i, s in enumerate(states):
        x[i, : len(s)] = s
        m[i, : len(s)] = 1.0
    return x, m


@dataclass
class AspectPrediction:
    touchpoint: str
    polarity: str  # negative | neutral | positive
    score: float  # probability of ``polarity``
    proba: dict[str, float]


class AspectPolarity:
    """The trained polarity-toward-a-touchpoint head over the base encoder's token states.

    The base, not an adapted encoder: the shipped LoRA adapter is trained on whole-text sentiment and carries a
    sentence's polarity into every token (on it the README's example read negative for delivery too). A model with
    an adapter gives a loader, so the base is loaded on the first prediction, not with every model.
    """

    def __init__(
        self,
        module: torch.nn.Module,
        cfg: AspectConfig,
        encoder: Encoder | Callable[[], Encoder],
        report: dict | None = None,
    ):
        self.module = module.eval()
        self.cfg = cfg
        self._encoder = encoder
        self.report = report or {}

    @property
    def encoder(self) -> Encoder:
        if callable(self._encoder):
            self._encoder = self._encoder()
        return self._encoder

    def proba(self, states: list[np.ndarray], queries: np.ndarray, batch: int = 64) -> np.ndarray:
        """[n, 3] probabilities (``POLARITIES`` order) for n (token states, touchpoint query) pairs."""
        import torch

        out = np.zeros((len(states), len(POLARITIES)), np.float32)
        with torch.inference_mode():
            for s in range(0, len(states), batch):
                x, m = pad_states(states[s : s + batch])
                logits = self.module(
                    torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(queries[s : s + batch])
                )
                out[s : s + batch] = softmax(logits.numpy())
        return out

    def predict(
        self, text: str, touchpoints: list[str], classifier: TouchpointClassifier
    ) -> list[AspectPrediction]:
        """Polarity of ``text`` toward each of ``touchpoints`` (ids of ``classifier``'s taxonomy)."""
        if not touchpoints:
            return []
        states = token_states(self.encoder, [text])
        queries = np.stack([touchpoint_query(classifier, t) for t in touchpoints])
        p = self.proba(states * len(touchpoints), queries)
        return [
            AspectPrediction(
                t,
                POLARITIES[int(row.argmax())],
                round(float(row.max()), 4),
                {lab: round(float(v), 4) for lab, v in zip(POLARITIES, row, strict=True)},
            )
            for t, row in zip(touchpoints, p, strict=True)
        ]

    def tensors(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.module.state_dict().items()}

    def save_pretrained(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: np.ascontiguousarray(v) for k, v in self.tensors().items()}, str(path / "head.safetensors")
        )
        meta = {
            "kind": "aspect-transformer",
            "labels": list(POLARITIES),
            "config": asdict(self.cfg),
            "report": self.report,
        }
        (path / "head.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    @classmethod
    def from_pretrained(cls, path: Path, encoder: Encoder | Callable[[], Encoder]) -> AspectPolarity:
        import torch
        from safetensors.numpy import load_file

        meta = json.loads((path / "head.json").read_text())
        cfg = AspectConfig(**meta["config"])
        module = build_module(cfg)
        module.load_state_dict(
            {k: torch.from_numpy(v) for k, v in load_file(str(path / "head.safetensors")).items()}
        )
        return cls(module, cfg, encoder, meta.get("report", {}))
