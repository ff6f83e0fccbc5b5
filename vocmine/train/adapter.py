"""Fine-tune the base encoder for sentiment with a LoRA adapter (PEFT), kept close to the base embedding space.

Only the adapter ships (about 1 MB: low-rank deltas of the upper layers' linear maps); at load it is merged into
the base weights (``encoder.merged_encoder``), so inference costs exactly what the base costs. The loss is
cross-entropy of a linear probe on the pooled embedding plus an *anchor* term, ``1 - cos(adapted, base)`` of the
same text: the touchpoint classifier and the aspect head read the same embeddings, and the anchor keeps their
zero-shot similarity space where the taxonomy's examples were written for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

#: the linear maps of a BERT layer (names as in ``transformers``' BertModel)
BERT_LINEAR = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


@dataclass
class AdapterTrainConfig:
    seed: int = 13
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    first_layer: int = 6  # LoRA on layers first_layer… of 12: the lower half stays the base's
    targets: tuple[str, ...] = BERT_LINEAR
    steps: int = 700  # batches of ``batch`` texts: ~0.6 epoch of the training mix, ~15 min on 2 CPU cores
    batch: int = 32
    lr: float = 5e-4
    probe_lr: float = 2e-3
    warmup: int = 50
    anchor: float = 10.0  # weight of the mean 1 - cos(adapted, base) term
    max_length: int = 96  # training truncation (clauses and tweets are shorter)


def length_batches(
    lengths: Sequence[int], idx: np.ndarray, size: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Endless shuffled batches of ``idx``, each of texts of similar length (little padding)."""
    while True:
        perm = rng.permutation(idx)
        for w in range(0, len(perm), size * 50):
            win = perm[w : w + size * 50]
            win = win[np.argsort([lengths[i] for i in win], kind="stable")]
            batches = [win[i : i + size] for i in range(0, len(win), size)]
            rng.shuffle(batches)
            yield from batches


def train_adapter(
    base: str,
    texts: Sequence[str],
    y: np.ndarray,
    idx_train: np.ndarray,
    out: Path,
    prefix: str = "query: ",
    cfg: AdapterTrainConfig | None = None,
    log: Callable[[str], None] = print,
    base_name: str | None = None,
) -> dict:
    """Train the adapter on ``texts[idx_train]`` (labels ``y``: indices into SENTIMENT_LABELS); save it to ``out``.

    ``base`` is a local checkpoint folder (``encoder.resolve_encoder``); ``base_name`` is what the adapter's
    config records as its base (default ``base``). Returns the training log.
    """
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    cfg = cfg or AdapterTrainConfig()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    tok = AutoTokenizer.from_pretrained(base)
    model = get_peft_model(
        AutoModel.from_pretrained(base),
        LoraConfig(
            r=cfg.rank,
            lora_alpha=cfg.alpha,
            lora_dropout=cfg.dropout,
            target_modules=list(cfg.targets),
            layers_to_transform=list(range(cfg.first_layer, model_layers(base))),
            layers_pattern="layer",
        ),
    )
    probe = torch.nn.Linear(int(model.config.hidden_size), int(y.max()) + 1)
    counts = np.bincount(y[idx_train], minlength=probe.out_features)
    weight = torch.tensor(len(idx_train) / (len(counts) * np.maximum(counts, 1)), dtype=torch.float32)
    lora = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": lora, "lr": cfg.lr}, {"params": probe.parameters(), "lr": cfg.probe_lr}],
        weight_decay=0.01,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / cfg.warmup) * max(0.0, 1 - s / cfg.steps)
    )
    inputs = [prefix + t for t in texts]
    batches = length_batches([len(t) for t in inputs], idx_train, cfg.batch, rng)
    history, t0 = [], time.time()
    for step in range(cfg.steps):
        idx = next(batches)
        enc = tok(
            [inputs[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=cfg.max_length,
            return_tensors="pt",
        )
        with torch.no_grad(), model.disable_adapter():
            model.eval()
            anchor = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])
        model.train()
        emb = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])
        ce = F.cross_entropy(probe(F.normalize(emb, dim=-1) * 10), torch.from_numpy(y[idx]), weight=weight)
        drift = (1 - F.cosine_similarity(emb, anchor)).mean()
        loss = ce + cfg.anchor * drift
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([*lora, *probe.parameters()], 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == cfg.steps - 1:
            history.append({"step": step, "ce": round(ce.item(), 4), "drift": round(drift.item(), 5)})
            log(
                f"adapter step {step}: ce {ce.item():.3f}, 1-cos to base {drift.item():.4f} ({time.time() - t0:.0f} s)"
            )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # PEFT's template card; the model folder's card describes it
    conf = json.loads((out / "adapter_config.json").read_text())
    conf["base_model_name_or_path"] = base_name or base  # not this machine's cache path
    conf["target_modules"] = sorted(conf["target_modules"])  # a set in PEFT: a stable file for the same run
    (out / "adapter_config.json").write_text(json.dumps(conf, indent=2, sort_keys=True) + "\n")
    return {"config": asdict(cfg), "seconds": round(time.time() - t0), "history": history}


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1)


def model_layers(base: str) -> int:
    from transformers import AutoConfig

    return int(AutoConfig.from_pretrained(base).num_hidden_layers)
