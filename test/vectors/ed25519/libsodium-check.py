#!/usr/bin/env python3
"""Replays valid.json and invalid.json through the system's libsodium (crypto_sign_ed25519_verify_detached
and crypto_sign_ed25519_pk_to_curve25519, the Ed25519-to-X25519 key conversion), for README.md.
Not part of the test suite: it needs libsodium installed (Debian: apt-get install libsodium23).
Run: python3 test/vectors/ed25519/libsodium-check.py"""
import ctypes, ctypes.util, json, pathlib

sodium = ctypes.CDLL(ctypes.util.find_library('sodium') or 'libsodium.so.23')
assert sodium.sodium_init() >= 0
sodium.sodium_version_string.restype = ctypes.c_char_p
print('libsodium', sodium.sodium_version_string().decode())
here = pathlib.Path(__file__).parent
for name in ('valid.json', 'invalid.json'):
    for case in json.loads((here / name).read_text())['cases']:
        pk, m, sig = (bytes.fromhex(case[k]) for k in ('publicKey', 'message', 'signature'))
        verified = sodium.crypto_sign_ed25519_verify_detached(sig, m, ctypes.c_ulonglong(len(m)), pk) == 0
        converts = sodium.crypto_sign_ed25519_pk_to_curve25519(ctypes.create_string_buffer(32), pk) == 0
        print(f"{name:13} {case['id']:28} verify={'accept' if verified else 'refuse':6}  pk_to_curve25519={'ok' if converts else 'refused'}")
