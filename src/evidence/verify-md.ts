/** VERIFY.md: how to re-check the pack with standard tools (sha256sum, openssl, python3, jq). */
import type { BundleOutcome } from './pack.js';

export function verifyMd(o: { bundles: BundleOutcome[]; seed: string; sample: number }): string {
  const list = o.bundles
    .map(
      (b) =>
        `- \`${b.file || '(none)'}\` ${b.origin}: ${b.verified ? `verified, ${b.size} records` : `REJECTED: ${b.error ?? ''}`}`,
    )
    .join('\n');
  return `# Re-verifying this evidence pack

Everything here was generated from the ledger bundles below, each verified against its pinned
genesis key (a bundle that did not verify contributed no data; it is listed in exceptions.csv).

${list}

## 1. The pack's files are the ones generated

    sha256sum -c SHA256SUMS

This shows the files were not changed after generation, not who generated them: keep the bundles
and re-run the pack, or re-check the items as below.

## 2. The bundles

Each bundle is a tar file whose \`VERIFY\` file describes its format (also in the guard sources,
docs/ledger.md). With guard: \`guard ledger verify BUNDLE --pubkey PINNED-KEY-FILE\`.

## 3. The sample is the auditor's

The sample is the ${o.sample} population rows with the lowest SHA-256 of \`seed\\nhost\\nrequest_id\`
(seed ${JSON.stringify(o.seed)}). Recompute it from population.csv:

    tail -n +2 population.csv | cut -d, -f1,2 | while IFS=, read -r host id; do
      printf '%s %s %s\\n' "$(printf '%s\\n%s\\n%s' "$SEED" "$host" "$id" | sha256sum | cut -c1-64)" "$host" "$id"
    done | sort | head -n ${o.sample}

(Hosts and request ids contain no commas or quotes.)

## 4. Each sampled record is in the signed ledger

For every sampled item, \`items/<host>--<request>.proofs\` holds each record of its chain (exact
bytes), and its RFC 9162 inclusion proof against \`items/<host>--<request>.checkpoint\`:

    record <seq>
    <record bytes>
    inclusion <leaf index> <tree size>
    <base64 hash>      (one line per proof step)

Check the proofs with Python's standard library:

    python3 - items/HOST--REQUEST.proofs items/HOST--REQUEST.checkpoint <<'PY'
    import base64, hashlib, sys
    H = lambda b: hashlib.sha256(b).digest()
    cp = open(sys.argv[2], 'rb').read().decode().split('\\n')
    size, root = int(cp[1]), base64.b64decode(cp[2])
    lines = open(sys.argv[1], 'rb').read().decode().split('\\n')
    i = 0
    while i < len(lines) and lines[i].startswith('record '):
        rec = lines[i + 1].encode(); _, idx, n = lines[i + 2].split(); idx, n = int(idx), int(n)
        j = i + 3; path = []
        while j < len(lines) and lines[j] and not lines[j].startswith('record '):
            path.append(base64.b64decode(lines[j])); j += 1
        assert n == size
        fn, sn, r = idx, n - 1, H(b'\\0' + rec)
        for p in path:
            assert sn != 0
            if fn % 2 == 1 or fn == sn:
                r = H(b'\\1' + p + r)
                while fn % 2 == 0 and fn != 0: fn >>= 1; sn >>= 1
            else:
                r = H(b'\\1' + r + p)
            fn >>= 1; sn >>= 1
        assert sn == 0 and r == root, lines[i]
        print(lines[i], 'included'); i = j + 1
    PY

The checkpoint is a C2SP signed note. Check its signature with OpenSSL 3 and the pinned key file
(the key line is \`origin+keyid+base64(0x01 || 32-byte Ed25519 key)\`):

    KEY=$(grep -v '^#' PINNED-KEY-FILE | cut -d+ -f3)
    { printf '302a300506032b6570032100' | xxd -r -p; printf '%s' "$KEY" | base64 -d | tail -c 32; } > pub.der
    head -n 3 CHECKPOINT > body
    grep "^— $(head -n 1 CHECKPOINT) " CHECKPOINT | head -n 1 | cut -d' ' -f3 | base64 -d | tail -c 64 > sig
    openssl pkeyutl -verify -pubin -keyform DER -inkey pub.der -rawin -in body -sigfile sig

A checkpoint signed after a key rotation verifies under the key its \`key_rotation\` record
announced; guard ledger verify follows that chain from the pinned genesis key.

## 5. Machine-readable files

- \`oscal-assessment-results.json\`: NIST OSCAL 1.0.6 assessment results; validate with any JSON
  Schema validator against NIST's oscal_assessment-results_schema.json.
- \`ocsf.jsonl\`: OCSF 1.1 events, one per line (\`jq -c . ocsf.jsonl\`).
- \`population.csv\`, \`sample.csv\`, \`exceptions.csv\`, \`approvers.csv\`, \`policies.csv\`,
  \`controls.csv\`: RFC 4180 CSV; a cell starting with = + - @ is prefixed with ' (spreadsheet
  formula injection).
- \`completeness.json\`: per host: records, checkpoints verified, continuity between bundles of the
  same ledger, key rotations, witness cosignatures; silent hosts.
`;
}
