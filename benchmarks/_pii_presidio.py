"""Presidio's side of pii_bench.py, run by the interpreter of benchmarks/.venv-presidio.

Reads the corpus (JSON lines of {"text": ...}), runs Presidio's AnalyzerEngine
with its predefined recognizers on a blank spaCy pipeline (no model: the
pattern and checksum recognizers only), and prints one JSON object: the spans
found per record and the seconds the analysis took.
"""

from __future__ import annotations

import json
import logging
import sys
import time

ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "UK_NINO",
    "UK_NHS",
    "ES_NIF",
    "IT_FISCAL_CODE",
    "IP_ADDRESS",
]


def main() -> None:
    logging.disable(logging.CRITICAL)  # tldextract's attempt to fetch its list, offline
    import presidio_analyzer
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.nlp = {"en": spacy.blank("en")}
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=engine)
    registry.recognizers = [r for r in registry.recognizers if "Spacy" not in type(r).__name__]
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
    with open(sys.argv[1], encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    analyzer.analyze(texts[0], language="en", entities=ENTITIES)  # warm up
    found = []
    started = time.perf_counter()
    for text in texts:
        results = analyzer.analyze(text, language="en", entities=ENTITIES)
        found.append([[r.entity_type, r.start, r.end, r.score] for r in results])
    took = time.perf_counter() - started
    print(
        json.dumps(
            {
                "version": presidio_analyzer.__version__
                if hasattr(presidio_analyzer, "__version__")
                else "?",
                "seconds": took,
                "found": found,
            }
        )
    )


if __name__ == "__main__":
    main()
