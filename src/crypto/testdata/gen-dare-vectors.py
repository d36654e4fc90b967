#!/usr/bin/env python3
# Generates dare-vectors.json ONCE, from an independent implementation of the
# DARE 2.0 layout (pyca/cryptography AES-GCM), so the TypeScript code is checked
# against vectors it did not produce. The JSON is frozen: do not regenerate it
# unless the format version changes.
import hashlib, hmac, json

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PAYLOAD_MAX = 65536


def pattern(n):
    return bytes((i * 31 + 7) % 256 for i in range(n))


def seal_stream(key, nonce, plaintext):
    chunks = [plaintext[i:i + PAYLOAD_MAX] for i in range(0, len(plaintext), PAYLOAD_MAX)]
    packages = []
    for seq, payload in enumerate(chunks):
        final = seq == len(chunks) - 1
        header = bytearray([0x20, 0x00]) + (len(payload) - 1).to_bytes(2, 'little') + nonce
        header[4] = (header[4] | 0x80) if final else (header[4] & 0x7F)
        iv = bytearray(header[4:16])
        iv[8:12] = (int.from_bytes(iv[8:12], 'little') ^ seq).to_bytes(4, 'little')
        packages.append(bytes(header) + AESGCM(key).encrypt(bytes(iv), payload, bytes(header[0:4])))
    return packages


def stream_vector(name, key, nonce, size):
    packages = seal_stream(key, nonce, pattern(size))
    sealed = b''.join(packages)
    v = {
        'name': name, 'keyHex': key.hex(), 'nonceHex': nonce.hex(), 'plainBytes': size,
        'sealedBytes': len(sealed), 'sealedSha256': hashlib.sha256(sealed).hexdigest(),
        'packages': [{'headerHex': p[:16].hex(), 'tagHex': p[-16:].hex()} for p in packages],
    }
    if len(sealed) <= 512:
        v['sealedHex'] = sealed.hex()
    return v


key = bytes(range(32))
streams = [
    stream_vector('empty', key, bytes.fromhex('000102030405060708090a0b'), 0),
    stream_vector('one byte', key, bytes.fromhex('000102030405060708090a0b'), 1),
    stream_vector('100 bytes, nonce top bit set', key, bytes.fromhex('f0e1d2c3b4a5968778695a4b'), 100),
    stream_vector('one byte short of a package', key, bytes.fromhex('000102030405060708090a0b'), PAYLOAD_MAX - 1),
    stream_vector('exactly one package', key, bytes.fromhex('0f1e2d3c4b5a69788796a5b4'), PAYLOAD_MAX),
    stream_vector('one package and one byte', key, bytes.fromhex('0f1e2d3c4b5a69788796a5b4'), PAYLOAD_MAX + 1),
    stream_vector('three packages', key, bytes.fromhex('ffffffffffffffffffffffff'), 2 * PAYLOAD_MAX + 5),
]

# Object key sealing: sealingKey = HMAC-SHA256(kek, iv || domain || algorithm || "bucket/key").
kek = bytes((0xA0 + i) % 256 for i in range(32))
object_key = bytes((0x40 + 3 * i) % 256 for i in range(32))
iv = bytes((0x11 * i) % 256 for i in range(32))
seal_nonce = bytes.fromhex('a1a2a3a4a5a6a7a8a9aaabac')
seals = []
for domain, bucket, obj in [('SSE-S3', 'photos', 'a/b.jpg'), ('SSE-KMS', 'photos', 'a//b.jpg'), ('SSE-C', 'bkt', 'k')]:
    sk = hmac.new(kek, iv + domain.encode() + b'DAREv2-HMAC-SHA256' + f'{bucket}/{obj}'.encode(), hashlib.sha256).digest()
    sealed = seal_stream(sk, seal_nonce, object_key)[0]
    seals.append({'domain': domain, 'bucket': bucket, 'key': obj, 'kekHex': kek.hex(), 'objectKeyHex': object_key.hex(),
                  'ivHex': iv.hex(), 'nonceHex': seal_nonce.hex(), 'sealedHex': sealed.hex()})

part_keys = [{'objectKeyHex': object_key.hex(), 'partNumber': n,
              'partKeyHex': hmac.new(object_key, n.to_bytes(4, 'little'), hashlib.sha256).hexdigest()} for n in (1, 2, 10000)]

etag = '9bb58f26192e4ba00f01e2e7b136bbd8'
etag_key = hmac.new(object_key, b'SSE-etag', hashlib.sha256).digest()
etags = [{'objectKeyHex': object_key.hex(), 'etag': etag, 'nonceHex': seal_nonce.hex(),
          'sealedB64': __import__('base64').b64encode(seal_stream(etag_key, seal_nonce, etag.encode())[0]).decode()}]

doc = {'format': 'DARE 2.0 (AES-256-GCM), 64 KiB payloads', 'plainPattern': 'byte i = (i*31 + 7) mod 256',
       'streams': streams, 'objectKeySeals': seals, 'partKeys': part_keys, 'etags': etags}
with open('dare-vectors.json', 'w') as f:
    json.dump(doc, f, indent=1)
    f.write('\n')
