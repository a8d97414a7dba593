// The hotel web chat, end to end in Debian's chromium (npm playwright-core, headless): sign in at
// the idp through the chat, ask the Guest Assistant for a room, approve the booking in the
// consent popup (whose page must name the room and the dates), and read the confirmation card
// naming the booking agent and the guest assistant. Screenshots of the chat and of the consent
// page go to the artifact folder.
// Usage: node hotel_web_chat.mjs CHAT_URL USER PASSWORD_FILE ARTIFACT_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [chatUrl, user, passwordFile, artifacts] = process.argv.slice(2);
if (!chatUrl || !user || !passwordFile) {
  console.error('usage: node hotel_web_chat.mjs CHAT_URL USER PASSWORD_FILE [ARTIFACT_DIR]');
  process.exit(2);
}
const password = readFileSync(passwordFile, 'utf8').trim();
const REQUEST = 'Book room h-paris-1-dbl at hotel h-paris-1 from 2027-05-10 to 2027-05-12 for 2 guests';

let passed = 0;
let failed = 0;
const watchdog = setTimeout(() => {
  console.log('FAIL  the whole run took longer than 150 s');
  process.exit(1);
}, 150_000);
watchdog.unref();

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function screenshot(page, name) {
  if (!artifacts) return;
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                        args: ['--no-sandbox'], timeout: 20_000 });
async function finish() {
  await browser.close().catch(() => {});
  console.log(`hotel_web_chat: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
// A failure ends the run: every step depends on the one before.
async function must(name, fn) {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`ok    ${name}${detail ? ` (${detail})` : ''}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL  ${name}: ${err?.stack ?? err}`);
    await finish();
  }
}

const bodyText = async (page) => (await page.locator('body').innerText()).replace(/\s+/g, ' ');
const context = await browser.newContext();
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

// The idp's login page, then (first time) its consent page for the app's openid profile scopes.
async function signInAtIdp(p) {
  const username = p.locator('input[name="username"]');
  await username.waitFor({ timeout: 15_000 });
  await username.fill(user);
  await p.locator('input[name="password"]').fill(password);
  await Promise.all([p.waitForLoadState('load'),
                     p.locator('form:has(input[name="password"]) [type="submit"], form:has(input[name="password"]) button').first().click()]);
}

await must('the chat page loads with a sign-in button and the security headers', async () => {
  const response = await page.goto(chatUrl);
  expect(response.status() === 200, `GET / answered ${response.status()}`);
  const csp = response.headers()['content-security-policy'] ?? '';
  expect(csp.includes("script-src 'self'"), `CSP ${csp}`);
  await page.locator('#sign-in').waitFor({ state: 'visible', timeout: 10_000 });
  return csp;
});

await must('sign in: the idp login page, then back in the chat as the demo user', async () => {
  await Promise.all([page.waitForURL((u) => !u.href.startsWith(chatUrl), { timeout: 10_000 }),
                     page.locator('#sign-in').click()]);
  await signInAtIdp(page);
  // A first sign-in may ask to share the profile with the chat app.
  if (!page.url().startsWith(chatUrl)) {
    const approve = page.locator('button[name="decision"][value="approve"]');
    await approve.waitFor({ timeout: 10_000 });
    await Promise.all([page.waitForURL((u) => u.href.startsWith(chatUrl), { timeout: 15_000 }),
                       approve.click()]);
  }
  await page.locator('#who').waitFor({ state: 'visible', timeout: 10_000 });
  const who = await page.locator('#who').innerText();
  expect(who.includes(user), `the page says "${who}"`);
  const cookies = await context.cookies(chatUrl);
  const session = cookies.find((c) => c.name === 'zta_chat_session');
  expect(session && session.httpOnly && session.sameSite === 'Lax', `cookie ${JSON.stringify(session)}`);
  return who;
});

let popup;
await must('ask for the room: the assistant asks for consent and the idp opens in a popup', async () => {
  await page.locator('#input').fill(REQUEST);
  const popupOpened = page.waitForEvent('popup', { timeout: 30_000 });
  await page.locator('#send').click();
  await page.locator('.card.consent').waitFor({ timeout: 30_000 });
  popup = await Promise.race([popupOpened, new Promise((r) => setTimeout(() => r(null), 5_000))]);
  let how = 'opened by the page';
  if (!popup) {  // a popup blocker: the card's button is a user gesture
    [popup] = await Promise.all([page.waitForEvent('popup', { timeout: 10_000 }),
                                 page.locator('.card.consent button').click()]);
    how = 'opened from the card';
  }
  await popup.waitForLoadState('load');
  await screenshot(page, 'chat-consent-requested');
  return `${how}: ${new URL(popup.url()).pathname}`;
});

await must('the consent page names the room and the dates; approve', async () => {
  if (await popup.locator('input[name="username"]').count()) await signInAtIdp(popup);
  const approve = popup.locator('button[name="decision"][value="approve"]');
  await approve.waitFor({ timeout: 15_000 });
  const text = await bodyText(popup);
  for (const words of ['h-paris-1-dbl', '2027-05-10', '2027-05-12']) {
    expect(text.includes(words), `"${words}" is not on the consent page: ${text.slice(0, 800)}`);
  }
  await screenshot(popup, 'consent');
  const closed = popup.waitForEvent('close', { timeout: 15_000 }).catch(() => null);
  await approve.click();
  await closed;
  return `"${text.slice(0, 120)}…"`;
});

await must('the confirmation card names the booking agent, the user and the guest assistant', async () => {
  const card = page.locator('.card.booking');
  await card.waitFor({ timeout: 45_000 });
  const text = (await card.innerText()).replace(/\s+/g, ' ');
  const m = /booked by (.+?) for (.+?), asked by (.+?) you approved at (.+?)( trace|$)/.exec(text);
  expect(m, `the card says: ${text}`);
  const [, bookingAgent, forUser, guestAssistant, approvedAt] = m;
  expect(bookingAgent !== '—' && guestAssistant !== '—' && bookingAgent !== guestAssistant,
         `agents: ${bookingAgent} / ${guestAssistant}`);
  expect(/booking/i.test(bookingAgent), `the booking agent is "${bookingAgent}"`);
  expect(/guest/i.test(guestAssistant), `the guest assistant is "${guestAssistant}"`);
  expect(forUser.includes(user), `for "${forUser}"`);
  expect(approvedAt !== 'an unrecorded time', 'no approval time');
  for (const words of ['h-paris-1', 'h-paris-1-dbl', '2027-05-10', '2027-05-12']) {
    expect(text.includes(words), `"${words}" is not on the card: ${text}`);
  }
  await page.locator('#send:not([disabled])').waitFor({ timeout: 15_000 });
  await screenshot(page, 'chat-booked');
  return text;
});

await must('no token or secret reached the page, and no script error', async () => {
  const html = await page.content();
  expect(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(html), 'a JWT is in the page');
  expect(!html.includes(password), 'the password is in the page');
  expect(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
});

await finish();
