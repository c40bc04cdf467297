// The reference signer of tests/unit/sigv4_test.cpp's cross-check: signs the
// requests the C++ test generated with @smithy/signature-v4 (the AWS SDK for
// JavaScript v3's signer) and prints what it added, so the test can compare
// byte for byte.
//
//   node sigv4_reference.js <npm dir> <requests.json>   → JSON array on stdout
//
// Each request: { method, host, path, query: {name: [values...]}, headers:
// [[name, value]...], payload_hex, access_key_id, secret_access_key,
// session_token, region, service, time (Unix seconds) }. Names in `headers`
// are distinct case-insensitively (a JS object cannot hold repeats).
"use strict";
const fs = require("fs");
const path = require("path");

const [npmDir, input] = process.argv.slice(2);
if (!npmDir || !input) {
  console.error("usage: node sigv4_reference.js <npm dir> <requests.json>");
  process.exit(2);
}
const modules = path.join(npmDir, "node_modules");
const { SignatureV4 } = require(path.join(modules, "@smithy/signature-v4"));
const { Sha256 } = require(path.join(modules, "@aws-crypto/sha256-js"));

// The canonical request smithy built for the request being signed, reported
// with the result so that a mismatch shows where the two differ.
let lastCanonical = "";
const original = SignatureV4.prototype.createCanonicalRequest;
SignatureV4.prototype.createCanonicalRequest = function (...args) {
  lastCanonical = original.apply(this, args);
  return lastCanonical;
};

async function sign(r) {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: r.access_key_id,
      secretAccessKey: r.secret_access_key,
      ...(r.session_token ? { sessionToken: r.session_token } : {}),
    },
    region: r.region,
    service: r.service,
    sha256: Sha256,
    applyChecksum: true,
    // S3 signs the path as sent; every other service normalises and re-encodes it.
    uriEscapePath: r.service !== "s3",
  });
  const headers = { host: r.host };
  for (const [name, value] of r.headers) headers[name] = value;
  const signed = await signer.signRequest(
    {
      method: r.method,
      protocol: "https:",
      hostname: r.host.split(":")[0],
      path: r.path,
      query: r.query,
      headers,
      body: Buffer.from(r.payload_hex, "hex"),
    },
    { signingDate: new Date(r.time * 1000) },
  );
  return {
    authorization: signed.headers["authorization"],
    x_amz_date: signed.headers["x-amz-date"],
    x_amz_content_sha256: signed.headers["x-amz-content-sha256"],
    x_amz_security_token: signed.headers["x-amz-security-token"] ?? "",
    canonical_request: lastCanonical,
  };
}

(async () => {
  const requests = JSON.parse(fs.readFileSync(input, "utf8"));
  const out = [];
  for (const r of requests) out.push(await sign(r));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
