#!/usr/bin/env python3
"""Checks Kurier's DKIM signatures with dkimpy, an implementation independent of the Rust code.

Usage: verify.py DIR

DIR holds records.txt (one "NAME VALUE" line per DNS TXT record, served to dkimpy instead of DNS)
and *.eml messages. Every DKIM-Signature of a "pass-*.eml" message must verify; no signature of a
"fail-*.eml" message may. Prints one line per message ("NAME: ok ..." or "NAME: UNEXPECTED ...")
and exits 1 if any message did not come out as its name says, 2 if dkimpy is missing.

Run by the ignored Rust test `dkim::tests::dkimpy_verifies_signatures`.
"""

import sys
from pathlib import Path

try:
    import dkim
    import nacl.signing  # noqa: F401 (dkimpy needs it for ed25519-sha256)
except ImportError as e:
    print(f"{e}: install dkimpy with Ed25519 support: python3 -m pip install 'dkimpy[ed25519]'", file=sys.stderr)
    sys.exit(2)


def load_records(path):
    records = {}
    for line in path.read_text().splitlines():
        if line.strip():
            name, value = line.split(" ", 1)
            records[name.rstrip(".").lower()] = value.encode()
    return records


def signature_count(message):
    headers, _ = dkim.rfc822_parse(message)
    return sum(1 for name, _ in headers if name.lower() == b"dkim-signature")


def verify_all(message, dnsfunc):
    """The outcome of each signature, top to bottom: True, False, or the exception dkimpy raised."""
    results = []
    for idx in range(signature_count(message)):
        try:
            results.append(dkim.DKIM(message).verify(idx=idx, dnsfunc=dnsfunc))
        except dkim.DKIMException as e:
            results.append(f"{type(e).__name__}: {e}")
    return results


def main(directory):
    records = load_records(directory / "records.txt")

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name.rstrip(".").lower())

    messages = sorted(directory.glob("*.eml"))
    if not messages:
        print(f"no .eml files in {directory}", file=sys.stderr)
        return 1
    unexpected = 0
    for path in messages:
        results = verify_all(path.read_bytes(), dnsfunc)
        if path.name.startswith("pass-"):
            ok = bool(results) and all(r is True for r in results)
        else:
            ok = bool(results) and all(r is not True for r in results)
        unexpected += not ok
        print(f"{path.name}: {'ok' if ok else 'UNEXPECTED'} {results}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
