"""Write v1.json: known-answer vectors for stored-value format v1 (run once; never regenerate).

The vectors are committed so that every later version of casemgr must still read them:
    .venv/bin/python -m tests.crypto.vectors.generate_v1
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casemgr.crypto import blind
from casemgr.crypto.valueformat import ValueContext, seal_v1


def _bytes(label: str, n: int) -> bytes:
    # Fixed, reproducible, obviously synthetic key material.
    return hashlib.sha256(label.encode()).digest()[:n]


CASES = [
    ("persons", "given_name_enc", 1, 1, "Ánh"),
    ("persons", "surname_enc", 42, 42, "Nguyễn"),
    ("persons", "national_id_enc", 7, 7, "079085001234"),
    ("persons", "note_enc", 9, 9, "Ghi chú thử nghiệm " * 20),
    ("attachments", "filename_enc", 3, 9, ""),
    ("cases", "summary_enc", 2**40, 2**33, "x" * 1500),
]


def main() -> None:
    vectors = []
    for number, (table, column, row_id, person_id, text) in enumerate(CASES):
        key = _bytes(f"casemgr test data key {number}", 32)
        nonce = _bytes(f"casemgr test nonce {number}", 12)
        key_id = 1000 + number
        context = ValueContext(table, column, row_id, person_id)
        blob = seal_v1(AESGCM(key), key_id, text.encode(), context, nonce=nonce)
        vectors.append(
            {
                "key": key.hex(),
                "key_id": key_id,
                "nonce": nonce.hex(),
                "table": table,
                "column": column,
                "row_id": row_id,
                "person_id": person_id,
                "plaintext": text,
                "blob": blob.hex(),
            }
        )
    index_vectors = []
    for term in ("nguyen", "doan thi ngoc anh", "079085001234", "+84912345678"):
        key = _bytes("casemgr test index key", 32)
        index_vectors.append({"key": key.hex(), "term": term, "value": blind.value_of(key, term)})
    document = {
        "format": 1,
        "description": "casemgr stored-value format v1 and blind-index values",
        "values": vectors,
        "blind_index": index_vectors,
    }
    path = Path(__file__).with_name("v1.json")
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
