// What every test in this folder shares: named checks with an "N passed, N failed" summary, the
// `zta idp` CLI on a fresh data folder, `zta idp serve` on a free loopback port (never outliving
// the script), a whole-run watchdog, and Debian's chromium through npm playwright-core.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const CHROMIUM = '/usr/bin/chromium';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

// One test script's run: `new Harness('name', {timeoutMs})`, then idp(), serve(), check().
export class Harness {
  constructor(name, { zta, artifacts, timeoutMs = 60_000 } = {}) {
    this.name = name;
    this.zta = zta ?? process.argv[2];
    this.artifacts = artifacts ?? process.argv[3];
    if (!this.zta) {
      console.error(`usage: node ${name}.mjs PATH/TO/zta [ARTIFACT_DIR]`);
      process.exit(2);
    }
    if (this.artifacts) mkdirSync(this.artifacts, { recursive: true });
    this.work = mkdtempSync(join(tmpdir(), `zta-${name}-`));
    this.data = join(this.work, 'data');
    this.server = null;
    this.serverStderr = '';
    this.browser = null;
    this.passed = 0;
    this.failed = 0;
    process.on('exit', () => {
      this.killServer();
      rmSync(this.work, { recursive: true, force: true });
    });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        console.log(`${name}: interrupted by ${sig}`);
        process.exit(1);
      });
    }
    const watchdog = setTimeout(() => {
      console.log(`FAIL  the whole run took longer than ${timeoutMs / 1000} s`);
      console.log(`${name}: ${this.passed} passed, ${this.failed + 1} failed`);
      process.exit(1);
    }, timeoutMs);
    watchdog.unref();
  }

  // Runs one named check; fn returns an optional detail string or throws to fail.
  async check(name, fn) {
    try {
      const detail = await fn();
      this.passed += 1;
      console.log(`ok    ${name}${detail ? ` (${detail})` : ''}`);
      return true;
    } catch (err) {
      this.failed += 1;
      // openid-client's ResponseBodyError carries the RFC 6749 §5.2 error beside its stack.
      const oauth = err?.error ? ` [${err.status} ${err.error}: ${err.error_description ?? ''}]` : '';
      console.log(`FAIL  ${name}${oauth}: ${err?.stack ?? err}`);
      return false;
    }
  }

  // Like check, but a failure ends the run: what follows depends on it.
  async must(name, fn) {
    if (!(await this.check(name, fn))) await this.finish();
  }

  runZta(args, input) {
    return new Promise((resolve) => {
      const child = spawn(this.zta, ['idp', '--data', this.data, ...args],
                          { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      if (input !== undefined) child.stdin.end(input);
    });
  }

  // A registry command that prints JSON; returns the parsed JSON.
  async idp(args, input) {
    const { code, stdout, stderr } = await this.runZta(args, input);
    if (code !== 0) throw new Error(`zta idp ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
    try {
      return JSON.parse(stdout);
    } catch {
      throw new Error(`zta idp ${args.join(' ')} printed no JSON: ${stdout.slice(0, 200)}`);
    }
  }

  // Starts `zta idp serve` on a free loopback port; resolves with the URL it prints.
  serve() {
    return new Promise((resolve, reject) => {
      this.server = spawn(this.zta, ['idp', '--data', this.data, 'serve', '--listen', '127.0.0.1:0'],
                          { stdio: ['ignore', 'pipe', 'pipe'] });
      this.server.stderr.on('data', (d) => { this.serverStderr += d; });
      const timer = setTimeout(() => reject(new Error('no "listening on" line within 10 s')), 10_000);
      createInterface({ input: this.server.stdout }).on('line', (line) => {
        const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          this.issuer = m[1].replace(/\/$/, '');
          resolve(this.issuer);
        }
      });
      this.server.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`zta idp serve exited (${code ?? signal}) before listening`));
      });
    });
  }

  serverAlive() {
    return this.server && this.server.exitCode === null && this.server.signalCode === null;
  }

  killServer(signal = 'SIGKILL') {
    if (this.serverAlive()) this.server.kill(signal);
  }

  // Debian's chromium, headless; no browser download (playwright-core ships none).
  async launchChromium() {
    const { chromium } = await import('playwright-core');
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                           args: ['--no-sandbox'], timeout: 20_000 });
    return this.browser;
  }

  // Saves a screenshot into the artifact folder (the build tree); returns its path.
  async screenshot(page, name) {
    if (!this.artifacts) return null;
    const path = join(this.artifacts, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  }

  // Prints the summary line ctest's log shows and exits 0 only when every check passed.
  async finish() {
    if (this.browser) await this.browser.close().catch(() => {});
    if (this.serverAlive()) {
      const stopped = new Promise((resolve) => this.server.on('exit', resolve));
      this.server.kill('SIGTERM');
      await Promise.race([stopped, sleep(5_000)]);
    }
    if (this.failed > 0 && this.serverStderr) {
      console.log(`--- zta idp serve stderr (last 2000 bytes)\n${this.serverStderr.slice(-2000)}`);
    }
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed === 0 && this.passed > 0 ? 0 : 1);
  }
}
