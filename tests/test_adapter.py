"""The encoder adapter: LoRA training, merging into a standard checkpoint, lineage, the shipped default."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from vocmine import settings
from vocmine.nlp.encoder import Encoder, encoder_fingerprint, merged_encoder
from vocmine.nlp.heads import load_head
from vocmine.train.adapter import (
    TRAINING_LOG,
    AdapterTrainConfig,
    bf16_available,
    read_training_log,
    train_adapter,
)

WORDS = [
    "good",
    "great",
    "fine",
    "love",
    "bad",
    "awful",
    "hate",
    "broken",
    "slow",
    "fast",
    "app",
    "delivery",
    "the",
    "is",
    "was",
    "very",
    "not",
]
TEXTS = [f"{a} {b}" for a in WORDS[:8] for b in WORDS[8:]]
LABELS = np.array([2 if WORDS.index(t.split()[0]) < 4 else 0 for t in TEXTS])


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    """A 4-layer BERT with a word-level vocabulary: trains and merges in seconds."""
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def make_tiny_bert(d: Path, dropout: float = 0.1) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    d.mkdir(parents=True, exist_ok=True)
    (d / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "query", ":", *WORDS])
    )
    BertTokenizerFast(vocab_file=str(d / "vocab.txt")).save_pretrained(d)
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(WORDS) + 7,
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    BertModel(cfg).save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def adapter(tiny_bert, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("adapter") / "encoder-adapter"
    cfg = AdapterTrainConfig(steps=40, batch=8, rank=8, alpha=16, first_layer=2, warmup=5, lr=5e-3)
    log = train_adapter(
        str(tiny_bert), TEXTS, LABELS, np.arange(len(TEXTS)), out, cfg=cfg, log=lambda *_: None
    )
    return out, log


def test_training_writes_a_small_lora_adapter_of_the_upper_layers(adapter):
    out, log = adapter
    assert {p.name for p in out.iterdir()} == {
        "adapter_config.json",
        "adapter_model.safetensors",
        TRAINING_LOG,
    }
    assert read_training_log(out) == json.loads(json.dumps(log))
    conf = json.loads((out / "adapter_config.json").read_text())
    assert conf["r"] == 8 and conf["layers_to_transform"] == [2, 3]
    from safetensors.numpy import load_file

    tensors = load_file(out / "adapter_model.safetensors")
    assert tensors and all(".layer.2." in k or ".layer.3." in k for k in tensors)
    assert any(
        np.abs(v).max() > 0 for k, v in tensors.items() if "lora_B" in k
    )  # B starts at zero: it learnt
    assert log["config"]["steps"] == 40 and log["history"][-1]["step"] == 39
    assert log["history"][-1]["ce"] < log["history"][0]["ce"]
    assert log["bf16"] == bf16_available("cpu")  # bf16 autocast where the CPU has the kernels, and logged


def test_merged_checkpoint_equals_the_adapter_applied_and_is_made_once(
    tiny_bert, adapter, tmp_path, monkeypatch
):
    from peft import PeftModel
    from transformers import AutoModel, AutoTokenizer

    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)
    merged = Path(merged_encoder(str(tiny_bert), adapter[0]))
    assert merged.parent == tmp_path / "models" and (merged / "config.json").exists()
    stamp = (merged / "model.safetensors").stat().st_mtime_ns
    assert merged_encoder(str(tiny_bert), adapter[0]) == str(merged)
    assert (merged / "model.safetensors").stat().st_mtime_ns == stamp

    batch = AutoTokenizer.from_pretrained(merged)(
        ["query: good app", "query: awful slow delivery"], padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        peft = PeftModel.from_pretrained(AutoModel.from_pretrained(tiny_bert), str(adapter[0])).eval()
        want = peft(**batch).last_hidden_state
        got = AutoModel.from_pretrained(merged).eval()(**batch).last_hidden_state
        base = AutoModel.from_pretrained(tiny_bert).eval()(**batch).last_hidden_state
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(got, base, atol=1e-4)

    # lineage: same config, other weights → another fingerprint (stored embeddings of the base are not reused)
    assert json.loads((merged / "config.json").read_text())["hidden_size"] == 32
    assert encoder_fingerprint(merged) != encoder_fingerprint(tiny_bert)
    enc = Encoder.from_pretrained(str(tiny_bert), adapter=adapter[0])
    assert enc.name == str(merged)
    plain = Encoder.from_pretrained(str(tiny_bert))
    assert enc.fingerprint != plain.fingerprint
    assert not np.allclose(enc.encode(["good app"]), plain.encode(["good app"]), atol=1e-4)


def test_a_model_folder_names_its_adapter_and_carries_it(tiny_bert, adapter, tmp_path, monkeypatch):
    from vocmine.nlp.model import ADAPTER, CONFIG, VocModel

    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    folder = tmp_path / "model"
    shutil.copytree(settings.DEFAULT_MODEL_DIR / "sentiment", folder / "sentiment")
    shutil.copytree(adapter[0], folder / ADAPTER)
    conf = {"name": "tiny", "encoder": str(tiny_bert), "runtime": "torch", "adapter": ADAPTER}
    (folder / CONFIG).write_text(json.dumps(conf))
    vm = VocModel.from_pretrained(folder)
    assert Path(vm.encoder.name).parent == tmp_path / "cache" / "models"
    assert vm.encoder_id.startswith(f"{tiny_bert}@{encoder_fingerprint(vm.encoder.name)}|")
    plain = VocModel.from_pretrained(
        folder, encoder=str(tiny_bert)
    )  # the adapter belongs to its base: dropped
    assert plain.config.adapter is None and vm.encoder_id != plain.encoder_id and vm.version != plain.version
    vm.save_pretrained(tmp_path / "copy")  # the adapter travels with the model
    assert (tmp_path / "copy" / ADAPTER / "adapter_model.safetensors").exists()
    assert VocModel.from_pretrained(tmp_path / "copy").encoder_id == vm.encoder_id


def test_training_from_a_trained_adapter_fits_the_head_on_the_adapted_embeddings(
    tiny_bert, adapter, tmp_path, monkeypatch
):
    """`vocmine train --adapter-from DIR` (an adapter trained elsewhere, e.g. on a GPU): the adapter is copied into
    the model folder with its log, and the head is fitted on the adapted encoder's embeddings, not the base's."""
    import functools

    import pandas as pd
    from sklearn.model_selection import train_test_split

    from vocmine.nlp.model import ADAPTER, ModelConfig
    from vocmine.records import SENTIMENT_LABELS
    from vocmine.train import sentiment

    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    y = np.tile(LABELS, 2)
    y[[i for i, t in enumerate(TEXTS * 2) if t.split()[1] in ("the", "is", "was")]] = 1
    data = pd.DataFrame({"text": TEXTS * 2, "label": [SENTIMENT_LABELS[i] for i in y], "lang": "en"})
    data["corpus"] = "toy"
    tr, ho = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0, stratify=y)
    monkeypatch.setattr(sentiment, "training_mix", lambda *a, **k: (data, y, tr, ho))
    embedded = []

    def embed(encoder, d, features=False):
        embedded.append(encoder.name)
        return encoder.encode(d["text"].tolist(), features=features)

    monkeypatch.setattr(sentiment, "embed_training", embed)
    monkeypatch.setattr(sentiment, "evaluate_head", lambda head, encoder, root=None, **k: {"toy dev": 0.5})
    monkeypatch.setattr(
        sentiment, "ModelConfig", functools.partial(ModelConfig, encoder=str(tiny_bert), runtime="torch")
    )
    out = tmp_path / "model"
    cfg = sentiment.SentimentTrainConfig(adapter=None, adapter_from=str(adapter[0]), extra_layers=(2,))
    report = sentiment.train_sentiment(out, None, cfg)

    saved = json.loads((out / "vocmine.json").read_text())
    assert saved["adapter"] == ADAPTER and saved["extra_layers"] == [2]
    # the head reads the adapted last layer and layer 2 side by side (tiny BERT: 32 wide)
    assert report["input_width"] == 64
    assert load_head(out / "sentiment").weight.shape == (3, 64)
    assert (out / ADAPTER / "adapter_model.safetensors").read_bytes() == (
        adapter[0] / "adapter_model.safetensors"
    ).read_bytes()
    assert report["adapter"] == read_training_log(adapter[0])
    merged = merged_encoder(str(tiny_bert), out / ADAPTER)
    assert embedded == [
        str(tiny_bert),
        merged,
    ]  # the base (baseline), then the adapted encoder the head reads
    assert "rank 8" in (out / "README.md").read_text()
    # retraining the head in that folder keeps its adapter (no --adapter-from needed)
    sentiment.train_sentiment(out, None, sentiment.SentimentTrainConfig(extra_layers=(2,)))
    assert json.loads((out / "vocmine.json").read_text())["adapter"] == ADAPTER
    assert embedded[-1] == merged


def test_heads_are_fitted_on_the_reference_embeddings():
    # "auto" runs bf16 on some CPUs only; a head trained there must not depend on it
    from vocmine.nlp.model import ADAPTER, ModelConfig
    from vocmine.train.sentiment import _reference

    assert _reference(ModelConfig()).runtime == "onnx" and ModelConfig().runtime == "auto"
    assert _reference(ModelConfig(runtime="torch-bf16", adapter=ADAPTER)) == ModelConfig(
        adapter=ADAPTER, runtime="onnx"
    )
    assert _reference(ModelConfig(runtime="torch")).runtime == "torch"


def test_a_killed_run_resumes_from_its_checkpoint_and_ends_where_an_unbroken_one_does(tmp_path):
    """A session ends, the run with it: the same command resumes from the last saved state, on the same batches
    (without dropout, whose draws differ after a resume, the result is the unbroken run's)."""
    from safetensors.numpy import load_file

    tiny_bert = make_tiny_bert(tmp_path / "bert", dropout=0.0)
    cfg = AdapterTrainConfig(
        steps=12,
        batch=8,
        rank=4,
        alpha=8,
        first_layer=2,
        warmup=2,
        lr=5e-3,
        dropout=0.0,
        checkpoint_every=5,
        bf16=False,
    )
    train = dict(texts=TEXTS, y=LABELS, idx_train=np.arange(len(TEXTS)), cfg=cfg, log=lambda *_: None)
    unbroken = train_adapter(str(tiny_bert), out=tmp_path / "a", checkpoint=tmp_path / "ckpt-a", **train)
    # the unbroken run left its step-10 state behind: a second run with that folder is one killed after step 10
    lines: list[str] = []
    resumed = train_adapter(
        str(tiny_bert), out=tmp_path / "b", checkpoint=tmp_path / "ckpt-a", **{**train, "log": lines.append}
    )
    assert any("resumed at step 10" in m for m in lines)
    assert [h["step"] for h in resumed["history"]] == [h["step"] for h in unbroken["history"]]
    a, b = (load_file(tmp_path / d / "adapter_model.safetensors") for d in ("a", "b"))
    assert a.keys() == b.keys() and all(np.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_training_continues_from_a_given_adapter(tiny_bert, adapter, tmp_path):
    """--adapter-init: the run starts from the adapter's weights (its rank and layers), not from zero."""
    cfg = AdapterTrainConfig(steps=2, batch=8, warmup=1, lr=1e-9, bf16=False)
    train_adapter(
        str(tiny_bert),
        TEXTS,
        LABELS,
        np.arange(len(TEXTS)),
        tmp_path / "c",
        cfg=cfg,
        log=lambda *_: None,
        init=adapter[0],
    )
    from safetensors.numpy import load_file

    start, got = (
        load_file(adapter[0] / "adapter_model.safetensors"),
        load_file(tmp_path / "c" / "adapter_model.safetensors"),
    )
    assert start.keys() == got.keys() and all(np.allclose(start[k], got[k], atol=1e-5) for k in start)
    assert json.loads((tmp_path / "c" / "adapter_config.json").read_text())["r"] == 8
