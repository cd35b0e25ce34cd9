// Unsubscribes as a reader would: opens gazette serve's unsubscribe page in Debian's Chromium
// (headless, JavaScript off, a fresh profile), clicks the button and reads the answer page.
//
//   node tests/tools/browser/unsubscribe.mjs URL OUT_DIR
//
// Saves OUT_DIR/unsubscribe-1.png (the page with the button) and unsubscribe-2.png (the
// answer). Prints one JSON object on stdout: ok, problems, and per page its HTTP status,
// title, heading and screenshot; plus the cookies the site set. Exit 0 when every check
// passed, 1 when one failed, 2 on a usage error, 3 when Chromium could not be driven.
// CHROMIUM names another browser binary (default /usr/bin/chromium).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error('usage: node unsubscribe.mjs URL OUT_DIR');
  process.exit(2);
}
const watchdog = setTimeout(() => {
  console.error('unsubscribe.mjs: gave up after 60 s');
  process.exit(3);
}, 60_000);

mkdirSync(outDir, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'gazette-chromium-'));
const report = { ok: false, problems: [], pages: [], cookies: null };
const expect = (cond, what) => {
  if (!cond) report.problems.push(what);
};

async function describe(page, response, shot) {
  const heading = (await page.locator('h1').first().textContent())?.trim() ?? null;
  const path = join(outDir, shot);
  await page.screenshot({ path, fullPage: true });
  return { status: response?.status() ?? null, title: await page.title(), heading, screenshot: path };
}

let context;
let code = 1;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled: false,
    viewport: { width: 800, height: 700 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());

  const first = await page.goto(url, { waitUntil: 'load' });
  const before = await describe(page, first, 'unsubscribe-1.png');
  report.pages.push(before);
  expect(before.status === 200, `the unsubscribe page answered ${before.status}, not 200`);
  expect(before.heading === 'Unsubscribe', `the unsubscribe page's heading is ${before.heading}`);

  const button = page.getByRole('button', { name: 'Unsubscribe' });
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  const after = await describe(page, answer, 'unsubscribe-2.png');
  report.pages.push(after);
  expect(after.status === 200, `the button's POST answered ${after.status}, not 200`);
  expect(
    after.heading === 'You are unsubscribed',
    `the answer page's heading is ${after.heading}`,
  );
  expect(page.url() === url, `the answer came from ${page.url()}, not the same URL (a redirect?)`);

  report.cookies = (await context.cookies()).length;
  expect(report.cookies === 0, `the site set ${report.cookies} cookie(s)`);
  report.ok = report.problems.length === 0;
  code = report.ok ? 0 : 1;
} catch (e) {
  report.problems.push(`could not drive Chromium: ${e.message}`);
  code = 3;
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(watchdog);
}
console.log(JSON.stringify(report));
process.exit(code);
