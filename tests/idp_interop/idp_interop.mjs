// Interop of `zta idp serve` with third-party OAuth and JOSE clients over loopback. npm
// openid-client discovers the issuer (RFC 8414 and OIDC discovery), obtains tokens with
// client_credentials + resource (RFC 8707) using client_secret_basic, client_secret_post and
// private_key_jwt (RFC 7523), introspects (RFC 7662) and revokes (RFC 7009) them; npm jose
// verifies the RFC 9068 access tokens through the published jwks_uri, before and after
// `zta idp keys rotate`. Usage: node idp_interop.mjs PATH/TO/zta
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as jose from 'jose';
import * as client from 'openid-client';

const zta = process.argv[2];
if (!zta) {
  console.error('usage: node idp_interop.mjs PATH/TO/zta');
  process.exit(2);
}

const RESOURCE = 'https://hotel.example/api';
const RESOURCE_SCOPES = 'hotels:read bookings:create';
const OTHER_RESOURCE = 'https://mail.example/api';
const TOKEN_TTL = 300;  // the idp's default access token lifetime (docs/idp.md)
// The rotation overlap. Keys activate on whole seconds, so the real overlap is between
// ROTATE_OVERLAP - 1 and ROTATE_OVERLAP seconds; 2 keeps it well above the server's 250 ms
// pick-up time, so "published before it signs" is observable without races.
const ROTATE_OVERLAP = 2;

const work = mkdtempSync(join(tmpdir(), 'zta-idp-interop-'));
const data = join(work, 'data');
let server = null;  // the `zta idp serve` child process
let serverStderr = '';
let passed = 0;
let failed = 0;

// The server must never outlive this script, whatever ends it.
function killServer(signal = 'SIGKILL') {
  if (server && server.exitCode === null && server.signalCode === null) server.kill(signal);
}
process.on('exit', () => {
  killServer();
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`idp-interop: interrupted by ${sig}`);
    process.exit(1);
  });
}
const watchdog = setTimeout(() => {
  console.log(`FAIL  the whole run took longer than 60 s\nidp-interop: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 60_000);
watchdog.unref();

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function describe(err) {
  if (err instanceof client.ResponseBodyError) return `${err.name} ${err.status} ${err.error}: ${err.error_description ?? ''}`;
  if (err instanceof client.WWWAuthenticateChallengeError) return `${err.name} ${err.status} ${JSON.stringify(err.cause)}`;
  let cause = '';
  if (err?.cause instanceof Response) {  // openid-client's "unexpected HTTP response status code"
    let body = '';
    try { body = (await err.cause.text()).slice(0, 200); } catch { /* already read */ }
    cause = ` (HTTP ${err.cause.status} ${body})`;
  } else if (err?.cause) {
    cause = ` (cause: ${err.cause?.message ?? JSON.stringify(err.cause)})`;
  }
  return `${err?.name ?? 'Error'}: ${err?.message ?? err}${cause}`;
}

// Runs one named check; fn returns an optional detail string or throws to fail.
async function check(name, fn) {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`ok    ${name}${detail ? ` (${detail})` : ''}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL  ${name}: ${await describe(err)}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function runZta(args) {
  return new Promise((resolve) => {
    const child = spawn(zta, ['idp', '--data', data, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Runs a registry command that prints JSON and returns the parsed JSON.
async function ztaJson(args) {
  const { code, stdout, stderr } = await runZta(args);
  if (code !== 0) throw new Error(`zta idp ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout);
}

// Starts `zta idp serve` on a free loopback port; resolves with the issuer URL it prints.
function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(zta, ['idp', '--data', data, 'serve', '--listen', '127.0.0.1:0'],
                   { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr.on('data', (d) => { serverStderr += d; });
    const timer = setTimeout(() => reject(new Error('no "listening on" line within 10 s')), 10_000);
    createInterface({ input: server.stdout }).on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`zta idp serve exited (${code ?? signal}) before listening`));
    });
  });
}

function stopServer() {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) {
      resolve({ code: server.exitCode, signal: server.signalCode });
      return;
    }
    const timer = setTimeout(() => killServer('SIGKILL'), 5_000);
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    server.kill('SIGTERM');
  });
}

// The RFC 6749 §5.2 error code of a request expected to fail. openid-client reports it as a
// ResponseBodyError, or, when the 401 carries a WWW-Authenticate challenge, as a
// WWWAuthenticateChallengeError whose response body still holds the JSON error.
async function oauthError(promise) {
  try {
    await promise;
  } catch (err) {
    if (err instanceof client.ResponseBodyError) {
      return { error: err.error, status: err.status, via: 'ResponseBodyError' };
    }
    if (err instanceof client.WWWAuthenticateChallengeError) {
      let body = {};
      try { body = await err.response.json(); } catch { /* no JSON body */ }
      const challenged = err.cause?.find((c) => c.parameters?.error)?.parameters.error;
      return { error: body.error ?? challenged, status: err.status, scheme: err.cause?.[0]?.scheme,
               via: 'WWWAuthenticateChallengeError' };
    }
    throw err;
  }
  throw new Error('the request succeeded; an error was expected');
}

const headerOf = (token) => jose.decodeProtectedHeader(token);
const sameScopes = (a, b) => a.split(' ').sort().join(' ') === b.split(' ').sort().join(' ');
const audIncludes = (aud, want) => (Array.isArray(aud) ? aud.includes(want) : aud === want);

// npm jose verification of a zta access token (RFC 9068 §4 checks done by a resource server).
async function verifyAccessToken(jwks, token, issuer, agent, scope) {
  expect(typeof token === 'string', 'no token to verify (an earlier check failed)');
  const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
    issuer, audience: RESOURCE, typ: 'at+jwt', algorithms: ['ES256'],
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'],
  });
  expect(payload.sub === agent.client_id, `sub ${payload.sub} is not ${agent.client_id}`);
  expect(payload.client_id === agent.client_id, `client_id ${payload.client_id}`);
  expect(sameScopes(payload.scope, scope), `scope "${payload.scope}" is not "${scope}"`);
  expect(payload.exp - payload.iat === TOKEN_TTL, `lifetime ${payload.exp - payload.iat} s`);
  expect(Math.abs(payload.iat - Date.now() / 1000) < 60, `iat ${payload.iat} is not now`);
  expect(payload.zta_agent?.name === agent.name && payload.zta_agent?.owner === agent.owner,
         `zta_agent ${JSON.stringify(payload.zta_agent)}`);
  return `kid ${protectedHeader.kid.slice(0, 8)}…`;
}

async function main() {
  // --- Registry, through the CLI, before the server starts.
  const resource = await ztaJson(['resource', 'add', RESOURCE, '--scopes', RESOURCE_SCOPES,
                                  '--introspection-secret']);
  await ztaJson(['resource', 'add', OTHER_RESOURCE, '--scopes', 'mail:send']);
  const agents = {};
  agents.reader = await ztaJson(['agent', 'add', 'reader', '--owner', 'alice@example.com',
                                 '--resource', RESOURCE, '--scopes', 'hotels:read']);
  agents.poster = await ztaJson(['agent', 'add', 'poster', '--owner', 'bob@example.com',
                                 '--resource', RESOURCE, '--scopes', RESOURCE_SCOPES]);
  // private_key_jwt: the key pair is made by npm jose, zta only ever sees the public JWK.
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
  publicJwk.kid = await jose.calculateJwkThumbprint(publicJwk);
  const publicPath = join(work, 'booker.pub.json');
  writeFileSync(publicPath, JSON.stringify(publicJwk));
  agents.booker = await ztaJson(['agent', 'add', 'booker', '--owner', 'alice@example.com',
                                 '--resource', RESOURCE, '--scopes', 'bookings:create',
                                 '--jwk', publicPath]);
  expect(agents.booker.client_secret === undefined, 'a private_key_jwt agent got a client_secret');

  const issuer = await startServer();
  console.log(`idp-interop: zta idp serving at ${issuer}`);
  const insecure = { execute: [client.allowInsecureRequests] };  // http is fine on loopback
  const cfg = {};  // openid-client Configurations by agent name
  const tokens = {};

  // --- Discovery.
  await check('openid-client discovery (OIDC, /.well-known/openid-configuration)', async () => {
    cfg.reader = await client.discovery(new URL(issuer), agents.reader.client_id, undefined,
                                        client.ClientSecretBasic(agents.reader.client_secret), insecure);
    const m = cfg.reader.serverMetadata();
    expect(m.issuer === issuer, `issuer ${m.issuer}`);
    for (const key of ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(typeof m[key] === 'string' && m[key].startsWith(issuer), `${key} ${m[key]}`);
    }
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
      expect(m.token_endpoint_auth_methods_supported?.includes(method), `${method} not advertised`);
    }
    expect(m.grant_types_supported?.includes('client_credentials'), 'client_credentials not advertised');
    return m.token_endpoint;
  });
  await check('openid-client discovery (RFC 8414, /.well-known/oauth-authorization-server)', async () => {
    cfg.poster = await client.discovery(new URL(issuer), agents.poster.client_id, undefined,
                                        client.ClientSecretPost(agents.poster.client_secret),
                                        { ...insecure, algorithm: 'oauth2' });
    const m = cfg.poster.serverMetadata();
    expect(m.issuer === issuer, `issuer ${m.issuer}`);
    expect(m.token_endpoint === cfg.reader.serverMetadata().token_endpoint, 'metadata differ');
  });
  const metadata = cfg.reader.serverMetadata();
  cfg.booker = new client.Configuration(metadata, agents.booker.client_id, undefined,
                                        client.PrivateKeyJwt({ key: privateKey, kid: publicJwk.kid }));
  client.allowInsecureRequests(cfg.booker);
  // The resource server authenticates at /introspect with its own id and secret.
  cfg.resource = new client.Configuration(metadata, resource.introspection_client_id, undefined,
                                          client.ClientSecretBasic(resource.introspection_secret));
  client.allowInsecureRequests(cfg.resource);

  // --- client_credentials with each client authentication method.
  const grant = async (name, params, scope) => {
    const r = await client.clientCredentialsGrant(cfg[name], params);
    expect(r.token_type === 'bearer', `token_type ${r.token_type}`);
    expect(r.expires_in === TOKEN_TTL, `expires_in ${r.expires_in}`);
    expect(sameScopes(r.scope, scope), `scope "${r.scope}" is not "${scope}"`);
    expect(headerOf(r.access_token).typ === 'at+jwt', `typ ${headerOf(r.access_token).typ}`);
    tokens[name] = r.access_token;
    return `scope "${r.scope}"`;
  };
  await check('client_credentials, client_secret_basic, resource + scope',
              () => grant('reader', { resource: RESOURCE, scope: 'hotels:read' }, 'hotels:read'));
  await check('client_credentials, client_secret_post, no scope → the whole allowance',
              () => grant('poster', { resource: RESOURCE }, RESOURCE_SCOPES));
  await check('client_credentials, private_key_jwt (jose-made ES256 key)',
              () => grant('booker', { resource: RESOURCE, scope: 'bookings:create' }, 'bookings:create'));

  // --- npm jose verifies through the jwks_uri (remote JWKS).
  // Made before rotation with a short cooldown, so it may refetch on an unknown kid later.
  const jwksBefore = jose.createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: 1000 });
  await check('jose createRemoteJWKSet verifies the client_secret_basic token',
              () => verifyAccessToken(jwksBefore, tokens.reader, issuer, agents.reader, 'hotels:read'));
  await check('jose createRemoteJWKSet verifies the client_secret_post token',
              () => verifyAccessToken(jwksBefore, tokens.poster, issuer, agents.poster, RESOURCE_SCOPES));
  await check('jose createRemoteJWKSet verifies the private_key_jwt token',
              () => verifyAccessToken(jwksBefore, tokens.booker, issuer, agents.booker, 'bookings:create'));
  await check('jwks_uri response is cacheable (Cache-Control max-age)', async () => {
    const r = await fetch(metadata.jwks_uri);
    const cc = r.headers.get('cache-control') ?? '';
    expect(r.ok && /max-age=\d+/.test(cc), `status ${r.status}, Cache-Control "${cc}"`);
    return cc;
  });

  // --- Introspection (RFC 7662).
  await check('introspection by the resource server: active token and its claims', async () => {
    const r = await client.tokenIntrospection(cfg.resource, tokens.reader);
    expect(r.active === true, `active ${r.active}`);
    expect(r.client_id === agents.reader.client_id, `client_id ${r.client_id}`);
    expect(r.sub === agents.reader.client_id, `sub ${r.sub}`);
    expect(r.scope === 'hotels:read', `scope ${r.scope}`);
    expect(r.iss === issuer, `iss ${r.iss}`);
    expect(audIncludes(r.aud, RESOURCE), `aud ${JSON.stringify(r.aud)}`);
    expect(typeof r.exp === 'number' && r.exp > Date.now() / 1000, `exp ${r.exp}`);
  });
  await check('introspection by the agent itself (private_key_jwt)', async () => {
    const r = await client.tokenIntrospection(cfg.booker, tokens.booker);
    expect(r.active === true && r.scope === 'bookings:create', JSON.stringify(r));
  });
  await check('introspection of a string that is not a token → active:false', async () => {
    const r = await client.tokenIntrospection(cfg.resource, 'not-a-token');
    expect(r.active === false, JSON.stringify(r));
  });

  // --- Revocation (RFC 7009).
  await check('revocation by another client leaves the token active', async () => {
    let outcome = 'refused';
    try {
      await client.tokenRevocation(cfg.poster, tokens.reader);
      outcome = 'answered 200 without revoking';
    } catch (err) {
      if (!(err instanceof client.ResponseBodyError)) throw err;
      outcome = `refused with ${err.error}`;
    }
    const r = await client.tokenIntrospection(cfg.resource, tokens.reader);
    expect(r.active === true, 'another client revoked the token');
    return outcome;
  });
  await check('revocation by the client, then introspection says active:false', async () => {
    await client.tokenRevocation(cfg.reader, tokens.reader);
    const byResource = await client.tokenIntrospection(cfg.resource, tokens.reader);
    expect(byResource.active === false, `resource server sees ${JSON.stringify(byResource)}`);
    // RFC 7662 §2.2: an inactive token's response should say nothing else about it.
    expect(Object.keys(byResource).length === 1, `extra members ${JSON.stringify(byResource)}`);
    const byAgent = await client.tokenIntrospection(cfg.reader, tokens.reader);
    expect(byAgent.active === false, `agent sees ${JSON.stringify(byAgent)}`);
  });
  await check('revoking an already revoked token still answers 200 (RFC 7009 §2.2)',
              () => client.tokenRevocation(cfg.reader, tokens.reader));

  // --- Refusals, as openid-client reports them. Fewer than 10 failed authentications in all,
  // so the per-address rate limit (429 slow_down) stays out of the way.
  await check('wrong client_secret (client_secret_basic) → invalid_client, Basic challenge', async () => {
    const bad = new client.Configuration(metadata, agents.reader.client_id, undefined,
                                         client.ClientSecretBasic('wrong-secret'));
    client.allowInsecureRequests(bad);
    const e = await oauthError(client.clientCredentialsGrant(bad, { resource: RESOURCE }));
    expect(e.error === 'invalid_client' && e.status === 401, JSON.stringify(e));
    // RFC 6749 §5.2: the challenge matches the scheme the client used.
    expect(e.scheme === 'basic', `WWW-Authenticate scheme ${e.scheme}`);
    return `${e.via}`;
  });
  await check('wrong client_secret (client_secret_post) → invalid_client', async () => {
    const bad = new client.Configuration(metadata, agents.poster.client_id, undefined,
                                         client.ClientSecretPost('wrong-secret'));
    client.allowInsecureRequests(bad);
    const e = await oauthError(client.clientCredentialsGrant(bad, { resource: RESOURCE }));
    expect(e.error === 'invalid_client' && e.status === 401, JSON.stringify(e));
    return `${e.via}`;
  });
  await check('private_key_jwt signed by an unregistered key → invalid_client', async () => {
    const other = await jose.generateKeyPair('ES256');
    const bad = new client.Configuration(metadata, agents.booker.client_id, undefined,
                                         client.PrivateKeyJwt({ key: other.privateKey, kid: publicJwk.kid }));
    client.allowInsecureRequests(bad);
    const e = await oauthError(client.clientCredentialsGrant(bad, { resource: RESOURCE }));
    expect(e.error === 'invalid_client' && e.status === 401, JSON.stringify(e));
    return `${e.via}`;
  });
  await check('scope outside the allowance → invalid_scope', async () => {
    const e = await oauthError(client.clientCredentialsGrant(
        cfg.reader, { resource: RESOURCE, scope: 'bookings:create' }));
    expect(e.error === 'invalid_scope' && e.status === 400, JSON.stringify(e));
  });
  await check('scope the resource does not define → invalid_scope', async () => {
    const e = await oauthError(client.clientCredentialsGrant(
        cfg.poster, { resource: RESOURCE, scope: 'hotels:delete' }));
    expect(e.error === 'invalid_scope' && e.status === 400, JSON.stringify(e));
  });
  await check('resource without an allowance → invalid_target', async () => {
    const e = await oauthError(client.clientCredentialsGrant(
        cfg.reader, { resource: OTHER_RESOURCE, scope: 'mail:send' }));
    expect(e.error === 'invalid_target' && e.status === 400, JSON.stringify(e));
  });
  await check('introspection with a wrong resource-server secret → invalid_client', async () => {
    const bad = new client.Configuration(metadata, resource.introspection_client_id, undefined,
                                         client.ClientSecretBasic('wrong-secret'));
    client.allowInsecureRequests(bad);
    const e = await oauthError(client.tokenIntrospection(bad, tokens.poster));
    expect(e.error === 'invalid_client' && e.status === 401, JSON.stringify(e));
  });

  // --- Key rotation: the next key is published before it signs; tokens of both keys verify.
  const oldKid = headerOf(tokens.booker).kid;
  let newKid;
  let activateAtMs;
  await check(`keys rotate --overlap ${ROTATE_OVERLAP}: new key in jwks_uri before it signs`, async () => {
    const { code, stderr } = await runZta(['keys', 'rotate', '--overlap', String(ROTATE_OVERLAP)]);
    expect(code === 0, `keys rotate exited ${code}: ${stderr.trim()}`);
    const keys = await ztaJson(['keys', 'list']);
    const next = keys.find((k) => k.kid !== oldKid && k.activate_at * 1000 > Date.now() - 5000);
    expect(next, `no new key in keys list: ${JSON.stringify(keys)}`);
    newKid = next.kid;
    activateAtMs = next.activate_at * 1000;
    let published = false;
    for (let i = 0; i < 20 && !published; i += 1) {  // the server picks it up within 250 ms
      const jwks = await (await fetch(metadata.jwks_uri)).json();
      published = jwks.keys.some((k) => k.kid === newKid) && jwks.keys.some((k) => k.kid === oldKid);
      if (!published) await sleep(50);
    }
    expect(published, 'the new key is not in jwks_uri beside the old one');
    const r = await client.clientCredentialsGrant(cfg.booker, { resource: RESOURCE });
    expect(Date.now() < activateAtMs, 'the new key became active before the server published it');
    expect(headerOf(r.access_token).kid === oldKid, 'a token was signed by the new key during the overlap');
    return `published ${((activateAtMs - Date.now()) / 1000).toFixed(1)} s before it signs`;
  });
  await sleep(Math.max(0, (activateAtMs ?? 0) + 400 - Date.now()));
  await check('after the overlap, new tokens carry the new kid', async () => {
    const r = await client.clientCredentialsGrant(cfg.booker, { resource: RESOURCE });
    tokens.rotated = r.access_token;
    const kid = headerOf(r.access_token).kid;
    expect(kid !== oldKid, `still signed by the old key ${oldKid}`);
    expect(kid === newKid, `kid ${kid} is not the rotated key ${newKid}`);
  });
  await check('jose (JWKS fetched before rotation) verifies the new token after a kid refetch',
              () => verifyAccessToken(jwksBefore, tokens.rotated, issuer, agents.booker, 'bookings:create'));
  await check('jose (same JWKS) still verifies the old token',
              () => verifyAccessToken(jwksBefore, tokens.booker, issuer, agents.booker, 'bookings:create'));
  const jwksAfter = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));
  await check('jose (fresh JWKS after rotation) verifies the old token',
              () => verifyAccessToken(jwksAfter, tokens.booker, issuer, agents.booker, 'bookings:create'));
  await check('jose (fresh JWKS after rotation) verifies the new token',
              () => verifyAccessToken(jwksAfter, tokens.rotated, issuer, agents.booker, 'bookings:create'));

  // --- Disabling an agent: its tokens go inactive at once, new ones are refused.
  await check('agent disable → its token is inactive at introspection at once', async () => {
    const { code, stderr } = await runZta(['agent', 'disable', agents.poster.client_id]);
    expect(code === 0, `agent disable exited ${code}: ${stderr.trim()}`);
    const r = await client.tokenIntrospection(cfg.resource, tokens.poster);
    expect(r.active === false, JSON.stringify(r));
  });
  await check('agent disable → new tokens refused (within 250 ms)', async () => {
    await sleep(400);
    const e = await oauthError(client.clientCredentialsGrant(cfg.poster, { resource: RESOURCE }));
    expect(['invalid_client', 'unauthorized_client'].includes(e.error), JSON.stringify(e));
    return e.error;
  });

  await check('zta idp serve stops on SIGTERM with exit code 0', async () => {
    const { code, signal } = await stopServer();
    expect(code === 0, `exit ${code ?? signal}`);
  });
}

try {
  await main();
} catch (err) {
  failed += 1;
  console.log(`FAIL  setup: ${await describe(err)}`);
}
killServer();
if (failed > 0 && serverStderr) {
  console.log('--- zta idp serve stderr (last 2000 characters):');
  console.log(serverStderr.slice(-2000));
}
console.log(`idp-interop: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
