// The review page in a real browser (SPEC AG-5): Debian's Chromium, driven by playwright-core,
// opens a review link served by the Worker, approves one post and requests changes on another
// with a comment, the way a client without an account would. Exits non-zero on any failure.
//
// Environment (scripts/browser-test.sh sets it up through the API):
//   REVIEW_URL      the link's full address, /review/{token} on the server under test
//   APPROVE_POST    the id of the post to approve
//   CHANGES_POST    the id of the post to send back with a comment
//   CHANGES_COMMENT the comment
//   BRAND_NAME      the workspace's white-label name, which the page must show (with its logo
//                   and its colour, #ff0066)
//   HERALD_NODE_DIR where playwright-core is installed (default ~/.cache/herald/node)
//   CHROMIUM        the browser (default /usr/bin/chromium)
//   SCREENSHOT      optional: a PNG of the page after both decisions (SCREENSHOT_BEFORE: before)

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is required`);
  return v;
};

const nodeDir = env('HERALD_NODE_DIR', join(homedir(), '.cache/herald/node'));
const { chromium } = createRequire(join(nodeDir, 'package.json'))('playwright-core');

const reviewUrl = env('REVIEW_URL');
const approvePost = env('APPROVE_POST');
const changesPost = env('CHANGES_POST');
const comment = env('CHANGES_COMMENT');
const brandName = env('BRAND_NAME');

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const profile = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    // The flags this machine needs: no sandbox as root, and no background traffic to a
    // closed network. Playwright adds --headless and uses the fresh profile above.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // A phone: the page must work on a small screen.
    viewport: { width: 390, height: 844 },
    javaScriptEnabled: false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  // Failed loads are reported by URL below; the browser's own /favicon.ico probe is not the page's.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') problems.push(`${r.status()}: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

  const response = await page.goto(reviewUrl, { waitUntil: 'load' });
  check(response?.status() === 200, `the page answered ${response?.status()}`);
  check((await page.getAttribute('html', 'lang')) === 'en', 'the page names its language');
  check((await page.locator('meta[name=viewport]').count()) === 1, 'the page has a viewport');
  check((await page.getByRole('heading', { level: 1 }).count()) === 1, 'one main heading');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways on a phone by ${overflow}px`);
  // The agency's brand, not Herald's: its name, its logo (loaded below with the other images)
  // and its colour.
  const shown = (await page.locator('header.brand .brand-name').textContent())?.trim();
  check(shown === brandName, `the brand name shows (${shown})`);
  check((await page.locator('header.brand img.logo').count()) === 1, 'the brand logo shows');
  const accent = await page.evaluate(() => getComputedStyle(document.querySelector('header.brand')).borderBottomColor);
  check(accent === 'rgb(255, 0, 102)', `the brand colour shows (${accent})`);

  if (process.env.SCREENSHOT_BEFORE) await page.screenshot({ path: process.env.SCREENSHOT_BEFORE, fullPage: true });
  const approveItem = page.locator(`#post-${approvePost}`);
  const changesItem = page.locator(`#post-${changesPost}`);
  check((await approveItem.count()) === 1 && (await changesItem.count()) === 1, 'both posts are on the page');
  // Every image the page shows loads from the link's own media route (img-src 'self').
  const images = await page.evaluate(() =>
    [...document.images].map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, alt: i.alt })));
  check(images.length > 0, 'the post with media shows its image');
  for (const i of images) {
    check(i.ok, `image ${i.src} did not load`);
    check(i.alt.length > 0, `image ${i.src} has no alt text`);
  }
  // Every field has a label; every button says what it does.
  for (const field of await page.locator('textarea').all()) {
    const id = await field.getAttribute('id');
    check((await page.locator(`label[for="${id}"]`).count()) === 1, `textarea ${id} has no label`);
  }
  for (const button of await page.getByRole('button').all()) {
    check((await button.innerText()).trim().length > 0, 'a button without text');
  }

  // Approve the first post.
  await approveItem.getByRole('button', { name: /^Approve/ }).click();
  await page.waitForURL((u) => u.searchParams.get('decided') === approvePost);
  const thanks = await page.getByRole('status').innerText();
  check(thanks.includes('is recorded'), `no confirmation after approving: ${thanks}`);
  check((await approveItem.locator('[data-status]').getAttribute('data-status')) === 'approved',
    'the approved post does not show as approved');
  check((await approveItem.locator('form').count()) === 0, 'the approved post still offers a decision');

  // Request changes on the second: the comment is required before anything is sent.
  const box = changesItem.getByLabel('What should change?');
  const requestChanges = changesItem.getByRole('button', { name: /^Request changes/ });
  await requestChanges.click();
  check(await box.evaluate((t) => t.validity.valueMissing), 'an empty comment was not held back');
  check(new URL(page.url()).searchParams.get('decided') === approvePost, 'an empty comment was sent');
  await box.fill(comment);
  await requestChanges.click();
  await page.waitForURL((u) => u.searchParams.get('decided') === changesPost);
  check((await changesItem.locator('[data-status]').getAttribute('data-status')) === 'draft',
    'the post sent back does not show as draft');
  check((await page.locator('form').count()) === 0, 'nothing should be left to decide');

  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  check(problems.length === 0, `the browser reported problems:\n${problems.join('\n')}`);
  console.log('review page: approved one post and requested changes on another in Chromium');
} catch (e) {
  console.error(`review page browser test failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
