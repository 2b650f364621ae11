"""Keys: the fuzzer's own signing key (fuzz/tokens.py signs self-signed tokens with it), and
public keys for ImportPublicKey: two EC P-384 keys (the kind the service takes; the first is the
signing key's), then a P-256, an RSA and an Ed25519 key (kinds it refuses), and broken PEM
text. All fixed, so runs repeat; the signing key is derived from a constant, not stored."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNING_KEY = ec.derive_private_key(
    int.from_bytes(hashlib.sha384(b"ivs-realtime-emulator fuzz signing key").digest()) >> 8,
    ec.SECP384R1(),
)


def signing_public_key_pem() -> str:
    return (
        SIGNING_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


PUBLIC_KEYS = (
    signing_public_key_pem(),
    (
        "-----BEGIN PUBLIC KEY-----\n"
        "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEmadcTyaaqqbo0e7xJ2o1qvVf2A2afGiT\n"
        "9d3ta5DXxZXF0DymWEPCS6HLPOBeuRANkYio2+wEhO7LjgeTDYy7feTk9riWXAlO\n"
        "/I2jUsEBqt2jJwiqlcDS9ua5v8csBxcK\n"
        "-----END PUBLIC KEY-----\n"
    ),
    (
        "-----BEGIN PUBLIC KEY-----\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESifFuwYFxJDX7tTYxmZd/nwLTcMA\n"
        "BWIJOg+B7nhoJgjg6iBDDGItT9LVM3uMlfr9LTWi+xDRb7peMwk6MOSW/A==\n"
        "-----END PUBLIC KEY-----\n"
    ),
    (
        "-----BEGIN PUBLIC KEY-----\n"
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDUHoSi2cqet2i2eYeXJrbRb5vG\n"
        "H+VrYkHTQIauD8WgLJOI2la4PkmruThtNP6P1v6to8bn82cMq00PgjpQEx+VC/SM\n"
        "P6WWbvqdfSI+499FaJ4QiQm/62QEwhs4HxQ/T447lBkz3nSnjOznc8kKIH+cw5FT\n"
        "uXGmbasa8oQlq/K21QIDAQAB\n"
        "-----END PUBLIC KEY-----\n"
    ),
    (
        "-----BEGIN PUBLIC KEY-----\n"
        "MCowBQYDK2VwAyEAXG0xecPy/8lfej8J+th2oUmjkQd6V3QJtlaGRkLJVB8=\n"
        "-----END PUBLIC KEY-----\n"
    ),
    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----\r\n" + "QUJD" * 30 + "\r\n-----END PUBLIC KEY-----",
    (
        "junk -----BEGIN PUBLIC KEY-----\n"
        "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEYyRNuguZfJI/CUcLUMYmFFoSV0mN5R/2\n"
        "-----END PUBLIC KEY----- junk"
    ),
)
