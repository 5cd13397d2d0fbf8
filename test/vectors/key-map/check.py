#!/usr/bin/env python3
"""An independent implementation of the key map, written from docs/DESIGN.md §5.2 alone (standard
library only), replaying every vector in this folder: encodings, roots of maps built from updates
and from log records, proofs and their answers, and every refused proof with its code.
Run: python3 test/vectors/key-map/check.py"""
import hashlib, json, pathlib, re

HERE = pathlib.Path(__file__).parent
KEY_TAG, LEAF_TAG, NODE_TAG = b'peerkeys/map/v1 key', b'peerkeys/map/v1 leaf', b'peerkeys/map/v1 node'
EMPTY = bytes(32)
KINDS = {'user': 1, 'group': 2}
STATUSES = {'active': 1, 'revoked': 2}
MAX = 2**53 - 1


class Refused(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def sha256(*parts):
    return hashlib.sha256(b''.join(parts)).digest()


def key_bytes(kind, id_):
    if kind not in KINDS or not re.fullmatch(r'[0-9a-z]{25}', id_):
        raise Refused('MAP_KEY_INVALID')
    raw = id_.encode('ascii')
    return bytes([KINDS[kind]]) + len(raw).to_bytes(2, 'big') + raw


def path_of(kind, id_):
    return sha256(KEY_TAG, key_bytes(kind, id_))


def bit(p, i):
    return (p[i // 8] >> (7 - i % 8)) & 1


def value_bytes(v):
    return bytes.fromhex(v['recordHash']) + v['index'].to_bytes(8, 'big') + v['seq'].to_bytes(8, 'big') + bytes([STATUSES[v['status']]])


def decode_value(b, code='MAP_VALUE_INVALID'):
    if len(b) != 49:
        raise Refused(code)
    index, seq, status = int.from_bytes(b[32:40], 'big'), int.from_bytes(b[40:48], 'big'), b[48]
    if index > MAX or seq > MAX or status not in (1, 2):
        raise Refused(code)
    return {'recordHash': b[:32].hex(), 'index': index, 'seq': seq, 'status': 'active' if status == 1 else 'revoked'}


def leaf_hash(p, vb):
    return sha256(LEAF_TAG, p, vb)


def node_hash(l, r):
    return sha256(NODE_TAG, l, r)


def root_of(leaves, d=0):
    """H(S, d) of docs/DESIGN.md §5.2.4; leaves is a list of (path, value bytes)."""
    if not leaves:
        return EMPTY
    if len(leaves) == 1:
        return leaf_hash(*leaves[0])
    return node_hash(root_of([x for x in leaves if bit(x[0], d) == 0], d + 1), root_of([x for x in leaves if bit(x[0], d) == 1], d + 1))


def verify(root, kind, id_, proof):
    """§5.2: the value, or None for a proven absence; raises Refused(code)."""
    p = path_of(kind, id_)
    if len(proof) < 33 or proof[0] not in (1, 2, 3):
        raise Refused('MAP_PROOF_MALFORMED')
    bitmap = proof[1:33]
    ones = [i for i in range(256) if bit(bitmap, i)]
    depth = ones[-1] + 1 if ones else 0
    if len(proof) != 33 + 32 * len(ones) + {1: 49, 2: 0, 3: 81}[proof[0]]:
        raise Refused('MAP_PROOF_MALFORMED')
    siblings, at = [], 33
    for i in range(depth):
        if bit(bitmap, i):
            s = proof[at:at + 32]
            if s == EMPTY:
                raise Refused('MAP_PROOF_MALFORMED')
            siblings.append(s)
            at += 32
        else:
            siblings.append(EMPTY)
    tail, answer = proof[at:], None
    if proof[0] == 1:
        answer = decode_value(tail, 'MAP_PROOF_MALFORMED')
        h = leaf_hash(p, tail)
    elif proof[0] == 2:
        h = EMPTY
    else:
        q = tail[:32]
        decode_value(tail[32:], 'MAP_PROOF_MALFORMED')
        if q == p or any(bit(q, i) != bit(p, i) for i in range(depth)):
            raise Refused('MAP_PROOF_KEY_MISMATCH')
        h = leaf_hash(q, tail[32:])
    for d in range(depth, 0, -1):
        h = node_hash(h, siblings[d - 1]) if bit(p, d - 1) == 0 else node_hash(siblings[d - 1], h)
    if h != root:
        raise Refused('MAP_PROOF_ROOT_MISMATCH')
    return answer


def jcs(value):
    """RFC 8785 for the values records hold (strings, safe integers, booleans, null, arrays, objects)."""
    if isinstance(value, dict):
        # JCS sorts member names by their UTF-16 code units.
        items = sorted(value.items(), key=lambda kv: kv[0].encode('utf-16-be'))
        return '{' + ','.join(jcs(k) + ':' + jcs(v) for k, v in items) + '}'
    if isinstance(value, list):
        return '[' + ','.join(jcs(v) for v in value) + ']'
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'))


def load(name):
    return json.loads((HERE / name).read_text())


checked = 0
enc = load('encodings.json')
assert bytes.fromhex(enc['emptyHash']) == EMPTY
for k in enc['keys']:
    assert key_bytes(k['kind'], k['id']).hex() == k['keyBytes'] and path_of(k['kind'], k['id']).hex() == k['path']; checked += 1
for v in enc['values']:
    assert value_bytes(v).hex() == v['valueBytes'] and decode_value(bytes.fromhex(v['valueBytes'])) == {x: v[x] for x in ('recordHash', 'index', 'seq', 'status')}; checked += 1
for x in enc['leafHashes']:
    assert leaf_hash(bytes.fromhex(x['path']), bytes.fromhex(x['valueBytes'])).hex() == x['hash']; checked += 1
for x in enc['nodeHashes']:
    assert node_hash(bytes.fromhex(x['left']), bytes.fromhex(x['right'])).hex() == x['hash']; checked += 1
for x in enc['invalidKeys']:
    try:
        key_bytes(x['kind'], x['id']); raise AssertionError(x)
    except Refused as e:
        assert e.code == x['code']; checked += 1
for x in enc['invalidValues']:
    try:
        decode_value(bytes.fromhex(x['valueBytes'])); raise AssertionError(x)
    except Refused as e:
        assert e.code == x['code']; checked += 1


def check_proofs(root, proofs):
    global checked
    for pr in proofs:
        assert verify(root, pr['kind'], pr['id'], bytes.fromhex(pr['proof'])) == pr['value'], pr
        assert {1: 'present', 2: 'empty', 3: 'other'}[bytes.fromhex(pr['proof'])[0]] == pr['terminal']
        checked += 1


for m in load('maps.json')['maps']:
    state = {}
    for batch in m['batches']:
        for u in batch['updates']:
            state[path_of(u['key']['kind'], u['key']['id'])] = value_bytes(u['value'])
        assert root_of(list(state.items())).hex() == batch['root'], m['name']; checked += 1
    check_proofs(bytes.fromhex(m['batches'][-1]['root']), m['proofs'])

for c in load('invalid-proofs.json')['cases']:
    try:
        verify(bytes.fromhex(c['root']), c['key']['kind'], c['key']['id'], bytes.fromhex(c['proof'])); code = 'ok'
    except Refused as e:
        code = e.code
    assert code == c['code'], (c['name'], code); checked += 1

fold, state = load('log-fold.json'), {}
for e in fold['entries']:
    r = e['record']
    kind, id_ = ('user', r['userId']) if r['type'] == 'identity' else ('group', r['groupId'])
    value = {'recordHash': hashlib.sha256(jcs(r).encode('utf-8')).hexdigest(), 'index': e['index'], 'seq': r['seq'],
             'status': r['status'] if r['type'] == 'identity' else 'active'}
    assert {'key': {'kind': kind, 'id': id_}, 'value': value} == e['update'], e['index']
    state[path_of(kind, id_)] = value_bytes(value)
    assert root_of(list(state.items())).hex() == e['root'], e['index']; checked += 1
check_proofs(bytes.fromhex(fold['entries'][-1]['root']), fold['proofs'])
print(f'{checked} key-map vectors agree with docs/DESIGN.md §5.2')
