"""A text's encoder outputs and scores do not depend on the batch it is encoded in (issue #22): not on its
neighbours, their order, the batch size or the token budget, on the bf16 and on the fp32 path."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from vocmine import settings
from vocmine.nlp.encoder import native_bf16, resolve_runtime

#: both paths are measured bit-identical (bench/README.md "Batch invariance"); the tolerance only absorbs a
#: BLAS that sums the same row differently on another CPU, far below the 4th decimal the store keeps
TOL = 1e-6

TEXTS = [
    "Курьер опоздал на два часа.",
    "Доставили быстро, всё целое!",
    "Не могу войти в приложение: пишет «ошибка сервера».",
    "The refund took three weeks and nobody answered my emails.",
    "Great price, terrible packaging — the box was crushed.",
    "Оператор вежливый, но вопрос так и не решили, перевели на другого специалиста три раза подряд.",
    "ok",
    "Приложение вылетает при оплате картой, пришлось оформлять заказ с компьютера, очень неудобно.",
    "Fast delivery.",
    "Товар не соответствует описанию на сайте: другой цвет и размер, возврат оформить не получилось.",
    "Спасибо!",
    "The app keeps logging me out every time I switch to another screen and back again.",
]


@pytest.fixture(scope="module", params=["torch-bf16", "onnx"])
def vm(request):
    if request.param == "torch-bf16" and not native_bf16():
        pytest.skip("this CPU has no native bf16")
    from vocmine.nlp.model import VocModel

    return VocModel.from_pretrained(settings.DEFAULT_MODEL_DIR, runtime=request.param)


def _arrangements(n: int):
    """(order, batch_tokens, chunks): the same texts shuffled, in other batch sizes, split across calls."""
    rng = random.Random(3)
    for _ in range(3):
        order = list(range(n))
        rng.shuffle(order)
        for batch_tokens, chunk in ((1024, n), (64, n), (4096, 5), (16, 1)):
            yield order, batch_tokens, chunk


def test_same_text_same_outputs_in_any_batch(vm):
    enc = vm.encoder
    texts = TEXTS * 2 + [t.upper() for t in TEXTS]
    ref = enc.encode(texts, features=True)
    p_ref = vm.sentiment_proba(ref)
    alone = np.concatenate([enc.encode([t], features=True) for t in texts])
    assert np.abs(alone - ref).max() <= TOL
    assert np.array_equal(ref[: len(TEXTS)], ref[len(TEXTS) : 2 * len(TEXTS)])  # duplicates in one batch
    for order, batch_tokens, chunk in _arrangements(len(texts)):
        shuffled = [texts[i] for i in order]
        parts = [
            enc.encode(shuffled[i : i + chunk], batch_tokens=batch_tokens, features=True)
            for i in range(0, len(texts), chunk)
        ]
        emb = np.empty_like(ref)
        emb[order] = np.concatenate(parts)
        assert np.abs(emb - ref).max() <= TOL, (batch_tokens, chunk)
        p = vm.sentiment_proba(emb)
        assert np.abs(p - p_ref).max() <= TOL, (batch_tokens, chunk)
        assert (p.argmax(1) == p_ref.argmax(1)).all()


def test_touchpoints_and_token_states_do_not_depend_on_the_batch(vm):
    enc = vm.encoder
    states = enc.token_states(TEXTS)
    rev = enc.token_states(TEXTS[::-1], batch_tokens=48)[::-1]
    for a, b in zip(states, rev, strict=True):
        assert a.shape == b.shape and np.abs(a - b).max() <= TOL
    emb = enc.encode(TEXTS)
    single = np.concatenate([enc.encode([t]) for t in TEXTS])
    assert np.abs(vm.touchpoints.similarities(emb) - vm.touchpoints.similarities(single)).max() <= TOL
    lemmas = [[] for _ in TEXTS]
    assert vm.touchpoints.predict(emb, lemmas) == vm.touchpoints.predict(single, lemmas)


def test_classify_encodes_a_repeated_text_once_with_the_same_answer(vm, monkeypatch):
    import pandas as pd

    import vocmine.classify as classify
    from vocmine.pipeline import RecentEncoderOutputs

    # the texts come back in later batches (batch_size 5), as short survey answers do
    df = pd.DataFrame({"text": TEXTS + TEXTS[::-1] + TEXTS[:4]})
    vm.encoder.calls = 0
    remembered = classify.classify_frame(df, vm, batch_size=5)
    calls = vm.encoder.calls
    monkeypatch.setattr(classify, "RecentEncoderOutputs", lambda: RecentEncoderOutputs(max_texts=0))
    vm.encoder.calls = 0
    fresh = classify.classify_frame(df, vm, batch_size=5)
    assert fresh.equals(remembered)
    assert vm.encoder.calls > calls
    # every clause of TEXTS is encoded once; forgetting everything, each batch encodes its own
    assert calls == len({s["text"] for row in remembered["segments"] for s in json.loads(row)})


def test_recent_encoder_outputs_forget_the_oldest_beyond_their_bound():
    import pandas as pd

    from vocmine.pipeline import RecentEncoderOutputs

    recent = RecentEncoderOutputs(max_texts=2)
    for h in ("a", "b", "c"):
        vec = np.full(3, ord(h), "<f4")
        recent.add(pd.DataFrame({"encoder": ["e"], "text_hash": [h], "embedding": [vec.tobytes()]}))
    got = recent("e", ["a", "b", "c", "d"])
    assert sorted(got) == ["b", "c"] and got["c"].tolist() == [99.0] * 3
    assert recent("other encoder", ["b", "c"]) == {}


def test_runtime_can_be_forced_by_the_environment(monkeypatch):
    monkeypatch.setenv("VOCMINE_RUNTIME", "onnx")
    assert resolve_runtime("auto") == "onnx"
    assert resolve_runtime("torch") == "torch"  # an explicit runtime wins
    monkeypatch.setenv("VOCMINE_RUNTIME", "gpu")
    with pytest.raises(ValueError, match="VOCMINE_RUNTIME"):
        resolve_runtime("auto")
    monkeypatch.delenv("VOCMINE_RUNTIME")
    assert resolve_runtime("auto") == ("torch-bf16" if native_bf16() else "onnx")
