// Smoke test of the browser the delegation tests use: Debian's chromium, driven by npm
// playwright-core (headless, --no-sandbox, no browser download), loads pages that a real
// `zta idp serve` answers over loopback (the key set, the login form), and a screenshot lands in
// the build tree.
// Usage: node browser_smoke.mjs PATH/TO/zta [ARTIFACT_DIR]
import { Harness, expect } from './harness.mjs';

const t = new Harness('browser-smoke', { timeoutMs: 60_000 });

await t.must('registry set up through the CLI', async () => {
  await t.idp(['resource', 'add', 'https://hotel.example/api', '--scopes', 'hotels:read']);
});
await t.must('zta idp serve listens on loopback', async () => t.serve());
let browser;
await t.must(`chromium launches through playwright-core (${'/usr/bin/chromium'})`, async () => {
  browser = await t.launchChromium();
  return `version ${browser.version()}`;
});
const page = await browser.newPage();

await t.check('chromium loads /jwks and the page holds the key set', async () => {
  const response = await page.goto(`${t.issuer}/jwks`);
  expect(response.status() === 200, `status ${response.status()}`);
  const jwks = JSON.parse(await page.locator('body').innerText());
  expect(Array.isArray(jwks.keys) && jwks.keys.length > 0, `no keys: ${JSON.stringify(jwks)}`);
  const fetched = await (await fetch(`${t.issuer}/jwks`)).json();
  expect(JSON.stringify(fetched.keys.map((k) => k.kid)) === JSON.stringify(jwks.keys.map((k) => k.kid)),
         'the browser and fetch saw different keys');
  return `${jwks.keys.length} key(s)`;
});
await t.check('chromium renders the idp\'s login page: username, password, CSRF, submit', async () => {
  const response = await page.goto(`${t.issuer}/login`);
  expect(response.status() === 200, `status ${response.status()}`);
  expect(/^text\/html/.test(response.headers()['content-type'] ?? ''), `content-type ${response.headers()['content-type']}`);
  for (const selector of ['form input[name="username"]', 'form input[name="password"][type="password"]',
                          'form input[type="hidden"]', 'form button[type="submit"]']) {
    expect(await page.locator(selector).count() === 1, `no ${selector} on /login`);
  }
  expect(await page.locator('input[name="username"]').isVisible(), 'the username field is not visible');
  const shot = await t.screenshot(page, 'smoke-login');
  return shot ? `screenshot ${shot}` : undefined;
});
await t.finish();
