"""Write v2.json: known-answer vectors for stored-value format v2 and the row seal (run once;
never regenerate).

    .venv/bin/python -m tests.crypto.vectors.generate_v2
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casemgr.crypto import rowseal
from casemgr.crypto.valueformat import ValueContext, seal


def _bytes(label: str, n: int) -> bytes:
    # Fixed, reproducible, obviously synthetic key material.
    return hashlib.sha256(label.encode()).digest()[:n]


CASES = [
    ("persons", "given_name_enc", 1, 1, 1, "Ánh"),
    ("persons", "surname_enc", 42, 42, 7, "Nguyễn"),
    ("persons", "national_id_enc", 7, 7, 2**40, "079085001234"),
    ("persons", "note_enc", 9, 9, 3, "Ghi chú thử nghiệm " * 20),
    ("attachments", "filename_enc", 3, 9, 1, ""),
    ("cases", "summary_enc", 2**40, 2**33, 12, "x" * 1500),
]


def main() -> None:
    vectors = []
    for number, (table, column, row_id, person_id, generation, text) in enumerate(CASES):
        key = _bytes(f"casemgr test v2 data key {number}", 32)
        nonce = _bytes(f"casemgr test v2 nonce {number}", 12)
        key_id = 2000 + number
        context = ValueContext(table, column, row_id, person_id)
        blob = seal(AESGCM(key), key_id, text.encode(), context, generation=generation, nonce=nonce)
        vectors.append(
            {
                "key": key.hex(),
                "key_id": key_id,
                "generation": generation,
                "nonce": nonce.hex(),
                "table": table,
                "column": column,
                "row_id": row_id,
                "person_id": person_id,
                "plaintext": text,
                "blob": blob.hex(),
            }
        )
    # One row seal: a persons row at version 3 with two values and one NULL column.
    key = _bytes("casemgr test v2 data key 0", 32)
    columns = ["given_name_enc", "note_enc", "surname_enc"]
    blobs = [bytes.fromhex(vectors[0]["blob"]), None, bytes.fromhex(vectors[1]["blob"])]
    seals = [
        {
            "data_key": key.hex(),
            "table": "persons",
            "row_id": 1,
            "person_id": 1,
            "version": 3,
            "columns": columns,
            "blobs": [None if b is None else b.hex() for b in blobs],
            "seal": rowseal.compute(rowseal.row_key(key), "persons", 1, 1, 3, columns, blobs).hex(),
        }
    ]
    document = {
        "format": 2,
        "description": "casemgr stored-value format v2 and row seals",
        "values": vectors,
        "row_seals": seals,
    }
    path = Path(__file__).with_name("v2.json")
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
