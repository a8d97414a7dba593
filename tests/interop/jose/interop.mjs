// Interop between zta's JOSE layer (through the `zta` CLI) and npm `jose`, in both directions:
// tokens npm jose signs must verify in zta, and tokens zta signs must verify in npm jose; a
// token edited after signing must fail in both. Usage: node interop.mjs PATH/TO/zta
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';

const zta = process.argv[2];
if (!zta) {
  console.error('usage: node interop.mjs PATH/TO/zta');
  process.exit(2);
}

const ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];
const ISSUER = 'https://idp.example';
const AUDIENCE = 'https://hotel.example/api';
const SCOPE = 'hotels:read';

const work = mkdtempSync(join(tmpdir(), 'zta-interop-jose-'));
let passed = 0;
let failed = 0;

function check(name, ok, detail = '') {
  if (ok) {
    passed += 1;
    console.log(`ok    ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL  ${name}${detail ? `: ${detail}` : ''}`);
  }
}

// Runs zta asynchronously (the loopback JWKS server below lives in this same event loop).
function runZta(args, input) {
  return new Promise((resolve) => {
    const child = spawn(zta, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function writeJson(name, value) {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

// The same token with a widened scope in the payload and the original signature.
function tamper(token) {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  claims.scope = 'hotels:read bookings:create';
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

const short = (s) => (s.length > 200 ? `${s.slice(0, 200)}…` : s).trim();

// (a) npm jose signs, zta verifies.
async function joseSignsZtaVerifies(alg, jwksForHttp) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `jose-${alg}`, alg, use: 'sig' };
  jwksForHttp.push(jwk);
  const jwksPath = writeJson(`jose-${alg}.jwks.json`, { keys: [jwk] });
  const jwkPath = writeJson(`jose-${alg}.jwk.json`, jwk);
  const jti = `jose-${alg}-${Date.now()}`;
  const token = await new jose.SignJWT({ scope: SCOPE, client_id: 'agent-1' })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: jwk.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('agent-1')
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);

  const verifyArgs = ['jwt', 'verify', '--jwks', jwksPath, '--iss', ISSUER, '--aud', AUDIENCE,
    '--alg', alg, '--typ', 'at+jwt', '--scope', SCOPE, '--max-lifetime', '300'];
  const ok = await runZta([...verifyArgs, token]);
  let claims = {};
  try { claims = JSON.parse(ok.stdout); } catch { /* reported below */ }
  check(`${alg}: npm jose signs, zta jwt verify accepts`,
    ok.code === 0 && claims.jti === jti && claims.sub === 'agent-1' && claims.scope === SCOPE &&
      claims.iss === ISSUER && claims.aud === AUDIENCE,
    `exit ${ok.code}, stderr ${short(ok.stderr)}, stdout ${short(ok.stdout)}`);

  // The token on stdin ("-"), as scripts should pass it.
  const bad = await runZta([...verifyArgs, '-'], tamper(token));
  check(`${alg}: zta jwt verify rejects a tampered npm jose token`,
    bad.code === 1 && bad.stderr.trim() === 'invalid: bad_signature',
    `exit ${bad.code}, stderr ${short(bad.stderr)}`);

  const jws = await runZta(['jws', 'verify', '--jwk', jwkPath, '--alg', alg, token]);
  const payload = Buffer.from(token.split('.')[1], 'base64url').toString('utf8');
  check(`${alg}: zta jws verify prints the npm jose payload`,
    jws.code === 0 && jws.stdout === payload, `exit ${jws.code}, stderr ${short(jws.stderr)}`);
  return { alg, token, jti };
}

// (b) zta generates and signs, npm jose verifies.
async function ztaSignsJoseVerifies(alg) {
  const privatePath = join(work, `zta-${alg}.json`);
  const publicPath = join(work, `zta-${alg}.pub.json`);
  const gen = await runZta(['jwk', 'generate', '--alg', alg, '--out', privatePath,
    '--public-out', publicPath]);
  const mode = gen.code === 0 ? (statSync(privatePath).mode & 0o777) : -1;
  check(`${alg}: zta jwk generate writes a 0600 private key`, gen.code === 0 && mode === 0o600,
    `exit ${gen.code}, mode ${mode.toString(8)}, stderr ${short(gen.stderr)}`);
  if (gen.code !== 0) return;
  const publicJwk = JSON.parse(readFileSync(publicPath, 'utf8'));

  const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'agent-2', scope: SCOPE };
  const signed = await runZta(['jwt', 'sign', '--jwk', privatePath, '--claims',
    JSON.stringify(claims), '--typ', 'at+jwt', '--ttl', '300']);
  const token = signed.stdout.trim();
  let accepted = false;
  let detail = `zta jwt sign exit ${signed.code}, stderr ${short(signed.stderr)}`;
  if (signed.code === 0) {
    try {
      const key = await jose.importJWK(publicJwk, alg);
      const { payload, protectedHeader } = await jose.jwtVerify(token, key, {
        issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: [alg], maxTokenAge: 300,
      });
      accepted = payload.sub === 'agent-2' && payload.scope === SCOPE &&
        typeof payload.jti === 'string' && payload.exp - payload.iat === 300 &&
        protectedHeader.kid === publicJwk.kid && protectedHeader.alg === alg;
      detail = `payload ${JSON.stringify(payload)}, header ${JSON.stringify(protectedHeader)}`;
    } catch (e) {
      detail = `${e.code ?? e.name}: ${e.message}`;
    }
  }
  check(`${alg}: zta jwt sign, npm jose jwtVerify accepts`, accepted, detail);

  let rejection = 'accepted';
  if (signed.code === 0) {
    try {
      await jose.jwtVerify(tamper(token), await jose.importJWK(publicJwk, alg), {
        issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: [alg],
      });
    } catch (e) {
      rejection = e.code ?? e.name;
    }
  }
  check(`${alg}: npm jose rejects a tampered zta token`,
    rejection === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', `got ${rejection}`);
}

// The key set served over loopback HTTP, once with Content-Length and once chunked, as an
// issuer's jwks_uri would be; zta picks the key by kid from a set of several.
async function jwksOverHttp(keys, sample) {
  const body = JSON.stringify({ keys });
  const server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    } else if (req.url === '/chunked/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });  // no length: chunked
      res.write(body.slice(0, 100));
      setTimeout(() => res.end(body.slice(100)), 20);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  try {
    for (const path of ['/jwks.json', '/chunked/jwks.json']) {
      const r = await runZta(['jwt', 'verify', '--jwks', `http://127.0.0.1:${port}${path}`,
        '--iss', ISSUER, '--aud', AUDIENCE, '--typ', 'at+jwt', sample.token]);
      let jti = '';
      try { jti = JSON.parse(r.stdout).jti; } catch { /* reported below */ }
      check(`zta jwt verify fetches a ${keys.length}-key JWKS over http (${path})`,
        r.code === 0 && jti === sample.jti, `exit ${r.code}, stderr ${short(r.stderr)}`);
    }
  } finally {
    server.close();
  }
}

try {
  const servedKeys = [];
  const samples = [];
  for (const alg of ALGORITHMS) samples.push(await joseSignsZtaVerifies(alg, servedKeys));
  for (const alg of ALGORITHMS) await ztaSignsJoseVerifies(alg);
  await jwksOverHttp(servedKeys, samples[samples.length - 1]);
} catch (e) {
  check('the interop run finished', false, e.stack ?? String(e));
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`interop: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
