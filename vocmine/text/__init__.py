"""Text stage: normalisation, language ID, PII masking and sentence/clause segmentation."""

from vocmine.text.langid import UNDETERMINED, detect_language, detect_languages
from vocmine.text.normalize import normalize
from vocmine.text.pii import (
    DEFAULT_KINDS,
    Detector,
    PiiMatch,
    apply_masks,
    check_kinds,
    detect_persons,
    find_pii,
    find_pii_many,
    mask_fields_many,
    mask_pii,
    mask_pii_many,
    placeholder,
    register_detector,
)
from vocmine.text.segment import Segmenter, lemma, lemmatize_ru

__all__ = [
    "DEFAULT_KINDS",
    "UNDETERMINED",
    "Detector",
    "PiiMatch",
    "Segmenter",
    "apply_masks",
    "check_kinds",
    "detect_language",
    "detect_languages",
    "detect_persons",
    "find_pii",
    "find_pii_many",
    "lemma",
    "lemmatize_ru",
    "mask_fields_many",
    "mask_pii",
    "mask_pii_many",
    "normalize",
    "placeholder",
    "register_detector",
]
