// Looks at an HTML part as a reader's screen would: opens it in Debian's Chromium (headless, a
// fresh profile) at each width, in light and dark colour schemes, with its <style> element and
// without it (as clients that drop <style> show it), and measures whether anything is wider
// than the screen (the version without <style> drops `word-break` as well, as Yahoo does).
//
//   node tests/tools/browser/email.mjs HTML_FILE OUT_DIR NAME
//
// Saves OUT_DIR/NAME-WIDTH-SCHEME[-nostyle].png, full page. Prints one JSON object on stdout:
// ok, problems, and per view its width, scheme, style, the document's scrollWidth, innerWidth,
// the container's background colour, the elements wider than the screen, and its screenshot.
// Exit 0 when nothing overflows, 1 when something does, 2 on a usage error, 3 when Chromium
// could not be driven. CHROMIUM names another browser binary (default /usr/bin/chromium).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [htmlFile, outDir, name] = process.argv.slice(2);
if (!htmlFile || !outDir || !name) {
  console.error('usage: node email.mjs HTML_FILE OUT_DIR NAME');
  process.exit(2);
}
const watchdog = setTimeout(() => {
  console.error('email.mjs: gave up after 90 s');
  process.exit(3);
}, 90_000);

mkdirSync(outDir, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'gazette-email-'));
const html = readFileSync(htmlFile, 'utf8');
const variants = {
  style: html,
  // Without <style>, and without word-break, which Yahoo ignores too.
  nostyle: html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/word-break:\s*[a-z-]+;?/gi, ''),
};
const files = {};
for (const [key, text] of Object.entries(variants)) {
  files[key] = join(scratch, `${key}.html`);
  writeFileSync(files[key], text);
}

const report = { ok: false, problems: [], views: [] };
let browser;
let code = 1;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  for (const width of [375, 600]) {
    for (const scheme of ['light', 'dark']) {
      for (const style of ['style', 'nostyle']) {
        const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
        const page = await context.newPage();
        await page.goto(pathToFileURL(files[style]).href, { waitUntil: 'load' });
        const measured = await page.evaluate(() => {
          const inner = window.innerWidth;
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > inner + 0.5)
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px`);
          const container = document.querySelector('.container');
          return {
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: inner,
            containerBackground: container ? getComputedStyle(container).backgroundColor : null,
            wider: wide,
          };
        });
        const suffix = style === 'nostyle' ? '-nostyle' : '';
        const path = join(outDir, `${name}-${width}-${scheme}${suffix}.png`);
        await page.screenshot({ path, fullPage: true });
        await context.close();
        const view = { width, scheme, style, ...measured, screenshot: path };
        report.views.push(view);
        if (measured.scrollWidth > measured.innerWidth) {
          report.problems.push(
            `${width}px ${scheme} ${style}: ${measured.scrollWidth}px wide (${measured.wider.join(', ')})`,
          );
        }
      }
    }
  }
  report.ok = report.problems.length === 0;
  code = report.ok ? 0 : 1;
} catch (e) {
  report.problems.push(`could not drive Chromium: ${e.message}`);
  code = 3;
} finally {
  await browser?.close().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
  clearTimeout(watchdog);
}
console.log(JSON.stringify(report));
process.exit(code);
