// DPoP (RFC 9449) with npm oauth4webapi as the client, against the real `zta idp serve` and
// `zta gateway`: client credentials with a DPoP proof give a token bound to the client's key
// (cnf.jkt = the RFC 7638 thumbprint npm jose computes of it, token_type DPoP); an agent
// registered --require-dpop is refused without a proof; oauth4webapi's DPoP request through a
// gateway route with dpop = "required" reaches the upstream, which sees the verified principal
// and the key's thumbprint but never the token or the proof; the same token as Bearer, a
// replayed proof and a proof by another key are refused.
// Usage: node dpop_oauth4webapi.mjs PATH/TO/zta ARTIFACT_DIR
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { Harness, expect } from './harness.mjs';

const t = new Harness('dpop-oauth4webapi', { timeoutMs: 90_000 });
const RESOURCE = 'https://hotel.example/api';
const insecure = { [oauth.allowInsecureRequests]: true };

let agent;
await t.must('registry: a resource and an agent registered --require-dpop', async () => {
  await t.idp(['resource', 'add', RESOURCE, '--scopes', 'read_hotels']);
  agent = await t.idp(['agent', 'add', 'dpop-reader', '--owner', 'alice@example.com',
                       '--resource', RESOURCE, '--scopes', 'read_hotels', '--require-dpop']);
  expect(agent.dpop_bound_access_tokens === true, 'agent show says dpop_bound_access_tokens');
});
await t.must('zta idp serve listens on loopback', () => t.serve());

let as;
await t.must('oauth4webapi discovers the idp and its DPoP algorithms', async () => {
  const issuer = new URL(t.issuer);
  as = await oauth.processDiscoveryResponse(issuer,
                                            await oauth.discoveryRequest(issuer, insecure));
  expect(as.dpop_signing_alg_values_supported?.includes('ES256'), 'ES256 announced');
});

const client = { client_id: agent.client_id };
const clientAuth = oauth.ClientSecretBasic(agent.client_secret);
const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
const thumbprint = await jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey));
const params = () => new URLSearchParams({ resource: RESOURCE, scope: 'read_hotels' });

await t.check('without a proof the --require-dpop agent is refused (invalid_dpop_proof)',
  async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, params(),
                                                               insecure);
    try {
      await oauth.processClientCredentialsResponse(as, client, response);
    } catch (err) {
      expect(err.error === 'invalid_dpop_proof', `error ${err.error}`);
      return 'invalid_dpop_proof';
    }
    throw new Error('a token was issued without a proof');
  });

let token;
await t.must('with oauth4webapi DPoP the token is bound to its key', async () => {
  const DPoP = oauth.DPoP(client, keyPair);
  const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, params(),
                                                             { ...insecure, DPoP });
  const result = await oauth.processClientCredentialsResponse(as, client, response);
  expect(result.token_type === 'dpop', `token_type ${result.token_type}`);
  token = result.access_token;
  const claims = jose.decodeJwt(token);
  expect(claims.cnf?.jkt === thumbprint, 'cnf.jkt is the RFC 7638 thumbprint of the key');
  return `jti ${claims.jti}`;
});

// An upstream that reports what reached it.
let seen = [];
const upstream = createServer((req, res) => {
  seen.push(req.headers);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true }));
});
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
process.on('exit', () => upstream.close());

let gateway;
await t.must('zta gateway starts with a dpop = "required" route', async () => {
  const config = join(t.work, 'gateway.toml');
  writeFileSync(config, `listen = "127.0.0.1:0"
upstream = "http://127.0.0.1:${upstream.address().port}"
audience = "${RESOURCE}"

[[issuer]]
issuer = "${t.issuer}"

[[route]]
method = "GET"
path = "/api/hotels*"
scopes = ["read_hotels"]
dpop = "required"
`);
  const child = spawn(t.zta, ['gateway', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.on('exit', () => child.kill('SIGKILL'));
  gateway = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening on" line')), 10_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    child.on('exit', (code) => reject(new Error(`zta gateway exited ${code}`)));
  });
});

const url = () => new URL(`${gateway}/api/hotels?city=paris`);
await t.check('oauth4webapi protectedResourceRequest with DPoP passes the gateway', async () => {
  seen = [];
  const DPoP = oauth.DPoP(client, keyPair);
  const response = await oauth.protectedResourceRequest(token, 'GET', url(), new Headers(),
                                                        null, { ...insecure, DPoP });
  expect(response.status === 200, `status ${response.status}`);
  expect(seen.length === 1, 'the upstream was called once');
  const headers = seen[0];
  expect(headers['x-zta-dpop-jkt'] === thumbprint, 'X-Zta-Dpop-Jkt is the key thumbprint');
  expect(headers['x-zta-subject'] === agent.client_id, 'X-Zta-Subject is the agent');
  expect(headers.dpop === undefined && headers.authorization === undefined,
         'neither the proof nor the token reached the upstream');
  expect(!JSON.stringify(headers).includes(token), 'the token is nowhere upstream');
});

await t.check('the same token as Bearer is refused (RFC 9449 §7.2)', async () => {
  seen = [];
  const response = await fetch(url(), { headers: { authorization: `Bearer ${token}` } });
  expect(response.status === 401, `status ${response.status}`);
  expect(/^DPoP /.test(response.headers.get('www-authenticate') ?? ''), 'a DPoP challenge');
  expect(seen.length === 0, 'nothing reached the upstream');
});

await t.check('a replayed proof and a proof by another key are refused', async () => {
  seen = [];
  const proof = oauth.DPoP(client, keyPair);
  let captured;
  await oauth.protectedResourceRequest(token, 'GET', url(), new Headers(), null, {
    ...insecure, DPoP: proof,
    [oauth.customFetch]: (u, init) => { captured = new Headers(init.headers).get('dpop'); return fetch(u, init); },
  });
  expect(captured, 'oauth4webapi sent a DPoP header');
  const replay = await fetch(url(), { headers: { authorization: `DPoP ${token}`, dpop: captured } });
  expect(replay.status === 401, `replay status ${replay.status}`);
  const other = await oauth.generateKeyPair('ES256');
  let status;
  try {
    const thief = await oauth.protectedResourceRequest(token, 'GET', url(), new Headers(), null,
                                                       { ...insecure, DPoP: oauth.DPoP(client, other) });
    status = thief.status;
  } catch (err) {
    status = err.status ?? err.response?.status;  // oauth4webapi throws on a 401 challenge
  }
  expect(status === 401, `other key status ${status}`);
  expect(seen.length === 1, 'only the first, fresh request reached the upstream');
});

await t.finish();
