"""Fine-tune the base encoder for sentiment with a LoRA adapter (PEFT), kept close to the base embedding space.

Only the adapter ships (about 10 MB: low-rank deltas of every layer's linear maps); at load it is merged into
the base weights (``encoder.merged_encoder``), so inference costs exactly what the base costs. The loss is
cross-entropy of a linear probe on the pooled embedding plus an *anchor* term, ``1 - cos(adapted, base)`` of the
same text: the touchpoint classifier and the aspect head read the same embeddings, and the anchor keeps their
zero-shot similarity space where the taxonomy's examples were written for it. Runs on a GPU when there is one,
in bf16 on a GPU or a CPU with bf16 kernels.
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


#: the log ``train_adapter`` leaves beside the adapter (the model card quotes it)
TRAINING_LOG = "training_log.json"


@dataclass
class AdapterTrainConfig:
    """``vocmine train --adapter``'s settings, the best of a sweep on a GPU (bench/adapter_sweep.py, 9 settings,
    bench/README.md) among those whose drift from the base stays small. 1,540 steps of 64 texts are 3 epochs of
    the training part: 3.4 min on an H200; on 2 CPU cores with AVX-512 and bf16 autocast about 1.7 s a step
    (45 min); in fp32, as on a CPU without bf16 kernels, 2.4x that a step (measured on the same CPU)."""

    seed: int = 13
    rank: int = 32
    alpha: int = 64
    dropout: float = 0.05
    first_layer: int = 0  # LoRA on layers first_layer… of 12
    targets: tuple[str, ...] = BERT_LINEAR
    steps: int = 1540
    batch: int = 64
    lr: float = 5e-4
    probe_lr: float = 2e-3
    warmup: int = 50
    anchor: float = 10.0  # weight of the mean 1 - cos(adapted, base) term
    max_length: int = 96  # training truncation (clauses and tweets are shorter)
    bf16: bool | None = None  # bf16 autocast; None: where the device has bf16 kernels
    checkpoint_every: int = 25  # steps between saved states (with a checkpoint folder)


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
    init: Path | None = None,
    checkpoint: Path | None = None,
) -> dict:
    """Train the adapter on ``texts[idx_train]`` (labels ``y``: indices into SENTIMENT_LABELS); save it to ``out``.

    ``base`` is a local checkpoint folder (``encoder.resolve_encoder``); ``base_name`` is what the adapter's
    config records as its base (default ``base``). ``init``: an adapter to continue from (its rank and targets
    win over ``cfg``'s). ``checkpoint``: a folder the run saves its state to every ``cfg.checkpoint_every``
    steps and resumes from when it holds one (a run killed with its session goes on where it stopped; the
    batches are the same, dropout's random draws are not). Returns the training log.
    """
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    cfg = cfg or AdapterTrainConfig()
    torch.manual_seed(cfg.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # bf16 autocast (LoRA weights and optimiser state stay fp32) on a GPU, and on a CPU with native bf16
    # (AVX512-BF16 / AMX): 2.4x faster per step there; plain fp32 elsewhere
    bf16 = cfg.bf16 if cfg.bf16 is not None else bf16_available(device)
    autocast = torch.autocast(device, torch.bfloat16, enabled=bf16)
    rng = np.random.default_rng(cfg.seed)
    tok = AutoTokenizer.from_pretrained(base)
    if init is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(AutoModel.from_pretrained(base), str(init), is_trainable=True)
    else:
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
    model = model.to(device)
    probe = torch.nn.Linear(int(model.config.hidden_size), int(y.max()) + 1).to(device)
    counts = np.bincount(y[idx_train], minlength=probe.out_features)
    weight = torch.tensor(len(idx_train) / (len(counts) * np.maximum(counts, 1)), dtype=torch.float32).to(
        device
    )
    labels = torch.tensor(np.asarray(y)).to(device)
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
    history, t0, first, spent = [], time.time(), 0, 0.0
    state = checkpoint / "state.pt" if checkpoint is not None else None
    if state is not None and state.exists():
        from peft import set_peft_model_state_dict

        saved = torch.load(state, map_location=device, weights_only=False)
        set_peft_model_state_dict(model, saved["lora"])
        probe.load_state_dict(saved["probe"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
        first, history, spent = saved["step"], saved["history"], saved["seconds"]
        torch.manual_seed(cfg.seed + first)
        for _ in range(first):  # the same batch sequence: skip the ones done
            next(batches)
        log(f"adapter: resumed at step {first} from {state}")
    for step in range(first, cfg.steps):
        if state is not None and step > first and step % cfg.checkpoint_every == 0:
            _save_state(state, model, probe, opt, sched, step, history, spent + time.time() - t0)
        idx = next(batches)
        enc = tok(
            [inputs[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=cfg.max_length,
            return_tensors="pt",
        ).to(device)
        with torch.no_grad(), model.disable_adapter(), autocast:
            model.eval()
            anchor = mean_pool(model(**enc).last_hidden_state.float(), enc["attention_mask"])
        model.train()
        with autocast:
            emb = mean_pool(model(**enc).last_hidden_state.float(), enc["attention_mask"])
        ce = F.cross_entropy(
            probe(F.normalize(emb, dim=-1) * 10), labels[torch.from_numpy(idx).to(device)], weight=weight
        )
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
    report = {
        "config": asdict(cfg),
        "init": str(init) if init is not None else None,
        "seconds": round(spent + time.time() - t0),
        "device": _device_name(device),
        "bf16": bf16,
        "history": history,
    }
    (out / TRAINING_LOG).write_text(json.dumps(report, indent=1) + "\n")
    return report


def _save_state(state: Path, model, probe, opt, sched, step: int, history: list, seconds: float) -> None:
    """Everything a resumed run needs, written to a temporary file and renamed (a kill never leaves half)."""
    import torch
    from peft import get_peft_model_state_dict

    state.parent.mkdir(parents=True, exist_ok=True)
    tmp = state.with_suffix(".tmp")
    torch.save(
        {
            "lora": get_peft_model_state_dict(model),
            "probe": probe.state_dict(),
            "opt": opt.state_dict(),
            "sched": sched.state_dict(),
            "step": step,
            "history": history,
            "seconds": seconds,
        },
        tmp,
    )
    tmp.replace(state)


def read_training_log(adapter: Path) -> dict:
    """The log ``train_adapter`` wrote beside an adapter (empty for an adapter made elsewhere)."""
    f = adapter / TRAINING_LOG
    return json.loads(f.read_text()) if f.exists() else {}


def bf16_available(device: str) -> bool:
    """Whether bf16 autocast has fast kernels on ``device`` (a CUDA GPU, or a CPU with native bf16)."""
    from vocmine.nlp.encoder import native_bf16

    return device == "cuda" or native_bf16()


def _device_name(device: str) -> str:
    import torch

    return torch.cuda.get_device_name() if device == "cuda" else "CPU"


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1)


def model_layers(base: str) -> int:
    from transformers import AutoConfig

    return int(AutoConfig.from_pretrained(base).num_hidden_layers)
