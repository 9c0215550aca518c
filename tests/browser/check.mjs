#!/usr/bin/env node
// Real-browser accessibility checks of the bundled site.
//
// Builds the site with the placard binary into a temporary folder, serves it on 127.0.0.1, and
// visits every HTML page in Debian's Chromium at 375 px and 1280 px wide. On each page it runs
// axe-core (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA), checks the document basics (lang, one h1, a
// main, a unique title), walks the page with the keyboard (a skip link first that lands on the
// main content, every focus stop visible and with a focus indicator), reflow at 320 px and at
// 200 % text, the "exit this page" control of a sensitive page, and fails on any request
// that leaves 127.0.0.1. Screenshots of the home page and one initiative go to screenshots/.
//
//   node tests/browser/check.mjs                 build the repository's site and check it
//   node tests/browser/check.mjs --root DIR      build the site in DIR instead
//   node tests/browser/check.mjs --built DIR     check an already built output folder as is
//
// Environment: PLACARD_BIN (default target/debug/placard in the repository), CHROMIUM_BIN
// (default /usr/bin/chromium), A11Y_JOBS (pages checked at once, default 2).
// Exit codes: 0 no problem found, 1 problems found (all printed), 2 the harness itself failed.

import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const SCREENSHOT_DIR = path.join(HERE, 'screenshots');
const WIDTHS = [375, 1280];
const HEIGHTS = { 375: 812, 1280: 800 };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const MAX_TAB_STOPS = 200;
const DEADLINE_SECONDS = 240; // the whole run; CI must stay well under five minutes
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// Pages photographed at both widths, as screenshots/<name>-<width>.png.
const SCREENSHOTS = { home: '/', initiative: '/initiatives/young-londoners-fund/' };
// A path no site has: the server answers it with 404.html and status 404, as a host would.
const MISSING_PATH = '/placard-browser-check-missing-page/';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

class HarnessError extends Error {}

function parseArgs(argv) {
  const opts = { root: REPO, built: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new HarnessError(`${arg} needs a folder`);
      return path.resolve(argv[++i]);
    };
    if (arg === '--root') opts.root = value();
    else if (arg === '--built') opts.built = value();
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: node tests/browser/check.mjs [--root SITE_DIR | --built OUTPUT_DIR]');
      process.exit(0);
    } else throw new HarnessError(`unknown argument ${arg} (try --help)`);
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Build

function buildSite(siteRoot, outDir) {
  const bin = path.resolve(REPO, process.env.PLACARD_BIN || 'target/debug/placard');
  const args = ['--root', siteRoot, 'build', '-o', outDir, '--quiet'];
  const run = spawnSync(bin, args, { stdio: 'inherit' });
  if (run.error) {
    throw new HarnessError(
      `cannot run ${bin}: ${run.error.message} (run \`cargo build\` first, or set PLACARD_BIN)`,
    );
  }
  if (run.status !== 0) {
    throw new HarnessError(`${bin} ${args.join(' ')} failed with exit code ${run.status ?? run.signal}`);
  }
}

// Every HTML page of the output, as site paths (`/`, `/initiatives/`, `/404.html`), leaving out
// alias pages (they only redirect elsewhere).
async function findPages(outDir) {
  const pages = [];
  const refresh = /<meta\s[^>]*http-equiv\s*=\s*["']?refresh/i;
  async function walk(dir) {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
      } else if (entry.isFile() && /\.html?$/i.test(entry.name)) {
        if (refresh.test(await fs.readFile(full, 'utf8'))) continue;
        const rel = path.relative(outDir, full).split(path.sep).join('/');
        pages.push(entry.name === 'index.html' ? `/${rel.slice(0, -'index.html'.length)}` : `/${rel}`);
      }
    }
  }
  await walk(outDir);
  return pages;
}

// ---------------------------------------------------------------------------------------------
// Static server

function startServer(rootDir) {
  const root = path.resolve(rootDir);

  async function sendFile(req, res, file, status) {
    const body = await fs.readFile(file);
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function sendText(res, status, text, headers = {}) {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text);
  }

  async function isFile(file) {
    try {
      return (await fs.stat(file)).isFile();
    } catch {
      return false;
    }
  }

  async function handle(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    } catch {
      return sendText(res, 400, 'bad request\n');
    }
    const segments = pathname.split('/');
    if (pathname.includes('\0') || pathname.includes('\\') || segments.includes('..')) {
      return sendText(res, 400, 'bad request\n');
    }
    let rel = path.posix.normalize(pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, `.${rel}`);
    if (file !== root && !file.startsWith(root + path.sep)) {
      return sendText(res, 400, 'bad request\n');
    }
    let stat = null;
    try {
      stat = await fs.stat(file);
    } catch {
      // missing: 404 below
    }
    if (stat?.isFile()) return sendFile(req, res, file, 200);
    if (stat?.isDirectory() && (await isFile(path.join(file, 'index.html')))) {
      return sendText(res, 301, 'moved\n', { Location: `${pathname}/` });
    }
    const notFound = path.join(root, '404.html');
    if (await isFile(notFound)) return sendFile(req, res, notFound, 404);
    return sendText(res, 404, 'not found\n');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendText(res, 500, `${err.message}\n`);
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------------------------------------
// Checks in the page

function isLoopback(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// Addresses on the local server are shown as site paths (the port changes every run).
function shortUrl(url) {
  try {
    const u = new URL(url);
    return u.hostname === '127.0.0.1' ? `${u.pathname}${u.search}` : url;
  } catch {
    return url;
  }
}

function shortSummary(text) {
  const lines = (text || '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Fix (any|all) of the following:?$/i.test(l));
  const s = lines.join('; ');
  return s.length > 220 ? `${s.slice(0, 217)}...` : s;
}

// Installed in every page before its scripts: a record of how each element that can take focus
// looks before anything is focused, to compare with how it looks when focused.
function focusHelpers() {
  const props = ['outlineStyle', 'outlineWidth', 'outlineColor', 'outlineOffset', 'boxShadow'];
  const snapshot = (el) => {
    const cs = getComputedStyle(el);
    return Object.fromEntries(props.map((p) => [p, cs[p]]));
  };
  window.__a11yCheck = {
    unfocused: new Map(),
    seen: [],
    recordUnfocused() {
      const selector =
        'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable], audio[controls], video[controls]';
      for (const el of document.querySelectorAll(selector)) this.unfocused.set(el, snapshot(el));
    },
    snapshot,
    // Where the focused element is: it must be shown, inside the viewport, and not entirely
    // covered by another element (a sticky header, a banner).
    placement(el) {
      const rect = el.getBoundingClientRect();
      const visible =
        typeof el.checkVisibility === 'function'
          ? el.checkVisibility({ opacityProperty: true, visibilityProperty: true })
          : el.getClientRects().length > 0;
      if (!visible || rect.width < 2 || rect.height < 2) {
        return [`not visible when focused (box ${Math.round(rect.width)}x${Math.round(rect.height)} px)`];
      }
      const vw = document.documentElement.clientWidth;
      const vh = document.documentElement.clientHeight;
      if (rect.bottom <= 0 || rect.right <= 0 || rect.top >= vh || rect.left >= vw) {
        const d = document.documentElement;
        return [
          `outside the viewport when focused (at ${Math.round(rect.left + scrollX)},${Math.round(rect.top + scrollY)}` +
            ` in a ${d.scrollWidth}x${d.scrollHeight} px document)`,
        ];
      }
      // Sample the middle of each box of the element (inline links wrap onto several lines).
      let cover = null;
      for (const r of el.getClientRects()) {
        const x = Math.min(Math.max((r.left + r.right) / 2, 0), vw - 1);
        const y = Math.min(Math.max((r.top + r.bottom) / 2, 0), vh - 1);
        const hit = document.elementFromPoint(x, y);
        if (!hit || el.contains(hit) || hit.contains(el)) return [];
        cover = hit;
      }
      return cover ? [`entirely covered by ${this.describe(cover)} when focused`] : [];
    },
    // A focus indicator: an outline or a box-shadow that the element does not have unfocused.
    indicator(el) {
      const now = this.snapshot(el);
      const before = this.unfocused.get(el);
      const same = (p) => before !== undefined && before[p] === now[p];
      const hasOutline =
        now.outlineStyle !== 'none' &&
        parseFloat(now.outlineWidth) > 0 &&
        now.outlineColor !== 'rgba(0, 0, 0, 0)';
      const hasShadow = now.boxShadow !== 'none';
      const outlineChanged =
        hasOutline && !['outlineStyle', 'outlineWidth', 'outlineColor', 'outlineOffset'].every(same);
      const shadowChanged = hasShadow && !same('boxShadow');
      if (outlineChanged || shadowChanged) return [];
      if (hasOutline || hasShadow) {
        return [
          'no focus indicator: outline and box-shadow look the same focused and unfocused' +
            ` (outline ${now.outlineStyle} ${now.outlineWidth}, box-shadow ${now.boxShadow})`,
        ];
      }
      return [`no focus indicator: outline ${now.outlineStyle} ${now.outlineWidth}, box-shadow none`];
    },
    describe(el) {
      if (!el) return '(nothing)';
      let d = el.tagName.toLowerCase();
      if (el === document.body || el === document.documentElement) return d;
      if (el.id) d += `#${el.id}`;
      if (typeof el.className === 'string' && el.className.trim()) {
        d += el.className
          .trim()
          .split(/\s+/)
          .map((c) => `.${c}`)
          .join('');
      }
      const href = el.getAttribute('href');
      if (href) d += `[href="${href}"]`;
      const text = (el.innerText || el.getAttribute('aria-label') || el.value || '')
        .replace(/\s+/g, ' ')
        .trim();
      if (text) d += ` "${text.length > 50 ? `${text.slice(0, 47)}...` : text}"`;
      return d;
    },
  };
}

// Runs in the page: the state of the element that has focus now.
function inspectFocus() {
  const h = window.__a11yCheck;
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return { none: true };
  let index = h.seen.indexOf(el);
  const repeat = index !== -1;
  if (!repeat) index = h.seen.push(el) - 1;
  return {
    index,
    repeat,
    seen: h.seen.length,
    description: h.describe(el),
    placement: h.placement(el),
    indicator: h.indicator(el),
  };
}

// Runs in the page: the first focus stop, which must be a skip link to the main content.
function inspectSkipLink() {
  const el = document.activeElement;
  const h = window.__a11yCheck;
  const main = document.querySelector('main, [role="main"]');
  const result = { description: h.describe(el), problems: [] };
  if (!el || el.tagName !== 'A') {
    result.problems.push(`the first Tab stop is ${h.describe(el)}, not a skip link`);
    return result;
  }
  const href = el.getAttribute('href') || '';
  if (!href.startsWith('#') || href.length < 2) {
    result.problems.push(`the first Tab stop ${h.describe(el)} is not a link to a part of the page`);
    return result;
  }
  const id = decodeURIComponent(href.slice(1));
  const target = document.getElementById(id);
  if (!target) {
    result.problems.push(`the skip link ${h.describe(el)} points to #${id}, which does not exist`);
    return result;
  }
  if (!main) {
    result.problems.push('there is no main landmark for the skip link to reach');
  } else if (!(target === main || main.contains(target) || target.contains(main))) {
    result.problems.push(`the skip link target #${id} is not the main landmark (nor inside it)`);
  }
  result.hash = `#${id}`;
  return result;
}

// Runs in the page after Enter on the skip link.
function inspectSkipTarget(hash) {
  const target = document.getElementById(decodeURIComponent(hash.slice(1)));
  const h = window.__a11yCheck;
  const problems = [];
  if (!target) return { problems: [`${hash} is gone after activating the skip link`] };
  const active = document.activeElement;
  const focusedInside = active && active !== document.body && target.contains(active);
  const focusableTarget = target.getAttribute('tabindex') === '-1' || target.tabIndex >= 0;
  if (location.hash !== hash) {
    problems.push(`activating the skip link left the address at "${location.hash}", not ${hash}`);
  }
  if (!focusedInside && !(location.hash === hash && focusableTarget)) {
    problems.push(
      `activating the skip link did not move focus to ${hash} (focus is on ${h.describe(active)}; give the target tabindex="-1")`,
    );
  }
  const rect = target.getBoundingClientRect();
  if (rect.bottom <= 0 || rect.top >= window.innerHeight) {
    problems.push(`activating the skip link did not bring ${hash} into view`);
  }
  return { problems };
}

// Runs in the page: the next Tab after the skip link must not go back before the main content.
function inspectAfterSkip(hash) {
  const target = document.getElementById(decodeURIComponent(hash.slice(1)));
  const active = document.activeElement;
  const h = window.__a11yCheck;
  if (!target || !active || active === document.body) return { problems: [] };
  const before =
    !target.contains(active) && target.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_PRECEDING;
  return before
    ? { problems: [`after the skip link, Tab went back to ${h.describe(active)}, before ${hash}`] }
    : { problems: [] };
}

function inspectDocument() {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang || !lang.trim()) problems.push('<html> has no lang attribute');
  const h1s = document.querySelectorAll('h1').length;
  if (h1s !== 1) problems.push(`${h1s} <h1> elements (expected exactly one)`);
  const mains = document.querySelectorAll('main').length;
  if (mains === 0) problems.push('no <main> element');
  if (mains > 1) problems.push(`${mains} <main> elements`);
  const title = document.title.trim();
  if (!title) problems.push('empty or missing <title>');
  // Resource hints open connections without a request the browser reports: none to other hosts.
  for (const link of document.querySelectorAll('link[rel][href]')) {
    const rels = link.rel.toLowerCase().split(/\s+/);
    const hint = rels.find((r) =>
      ['preconnect', 'dns-prefetch', 'prefetch', 'prerender', 'preload', 'modulepreload'].includes(r),
    );
    if (hint && new URL(link.href, location.href).origin !== location.origin) {
      problems.push(`<link rel="${hint}"> to ${link.href}: the theme must not contact other hosts`);
    }
  }
  return { title, problems };
}

// ---------------------------------------------------------------------------------------------
// Visiting pages

// Checks one page at one width; `state` tells the page's event handlers what is being visited.
async function checkPage(page, state, { baseUrl, pagePath, width, axeSource, report, screenshots }) {
  const url = new URL(pagePath === '/404.html' ? MISSING_PATH : pagePath, baseUrl).href;
  const label = pagePath;
  const fail = (kind, message) => report.push({ page: label, width, kind, message });
  Object.assign(state, { label, width, mainUrl: url });

  await page.setViewportSize({ width, height: HEIGHTS[width] });
  const response = await page.goto(url, { waitUntil: 'load' });
  const expected = pagePath === '/404.html' ? 404 : 200;
  if (!response || response.status() !== expected) {
    fail(
      'page',
      `${shortUrl(url)} answered ${response ? response.status() : 'nothing'}, expected ${expected}`,
    );
    return null;
  }

  const shot = Object.entries(SCREENSHOTS).find(([, p]) => p === pagePath);
  if (shot) {
    const file = path.join(SCREENSHOT_DIR, `${shot[0]}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(path.relative(REPO, file));
  }

  let info = null;
  if (width === WIDTHS[WIDTHS.length - 1]) {
    info = await page.evaluate(inspectDocument);
    for (const p of info.problems) report.push({ page: label, width: null, kind: 'document', message: p });
  }

  // axe
  await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(
    (tags) => axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  for (const v of results.violations) {
    for (const node of v.nodes) {
      report.push({
        page: label,
        width,
        kind: 'axe',
        rule: v.id,
        impact: node.impact || v.impact || 'unknown',
        help: v.help,
        target: node.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(', '),
        message: shortSummary(node.failureSummary),
      });
    }
  }

  // Reflow (WCAG 1.4.10): at 320 CSS px, what a 1280 px screen shows at 400 % zoom, nothing may
  // need scrolling sideways. Text resize (1.4.4): at 200 % text size nothing may either.
  if (width === WIDTHS[0]) {
    await page.setViewportSize({ width: 320, height: HEIGHTS[width] });
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (over > 1) fail('reflow', `at 320 px wide the page is ${over} px wider than the window`);
    await page.setViewportSize({ width, height: HEIGHTS[width] });
  } else {
    const over = await page.evaluate(() => {
      document.documentElement.style.fontSize = '200%';
      const o = document.documentElement.scrollWidth - window.innerWidth;
      document.documentElement.style.fontSize = '';
      return o;
    });
    if (over > 1) fail('text size', `with text at 200 % the page is ${over} px wider than the window`);
  }

  // Keyboard: walk every Tab stop from the top of a fresh page.
  await page.goto(url, { waitUntil: 'load' });
  await page.evaluate(() => window.__a11yCheck.recordUnfocused());
  let previous = -1;
  let stops = 0;
  for (; stops < MAX_TAB_STOPS; stops++) {
    await page.keyboard.press('Tab');
    if (stops === 0) {
      const skip = await page.evaluate(inspectSkipLink);
      for (const p of skip.problems) fail('skip link', p);
    }
    const f = await page.evaluate(inspectFocus);
    if (f.none) break; // focus left the document: the walk is done
    if (f.repeat) {
      // The same element again at once, on a page with others to go to: focus is stuck.
      if (f.index === previous && f.seen > 1) {
        fail('keyboard', `Tab does not move focus on from ${f.description} (keyboard trap)`);
      }
      break; // back to an element already seen: the walk has gone round
    }
    let placement = f.placement;
    if (placement.length > 0) {
      // A smooth scroll may still be bringing it into view: look again once it has settled.
      await page.waitForTimeout(600);
      placement = await page.evaluate(() => window.__a11yCheck.placement(document.activeElement));
    }
    for (const p of [...placement, ...f.indicator]) fail('focus', `${f.description}: ${p}`);
    previous = f.index;
  }
  if (stops === MAX_TAB_STOPS) {
    fail('keyboard', `still finding new Tab stops after ${MAX_TAB_STOPS}; the walk stopped there`);
  }

  // The skip link: Enter must take focus to the main content, and the next Tab onwards from it.
  await page.goto(url, { waitUntil: 'load' });
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(inspectSkipLink);
  if (skip.problems.length === 0) {
    await page.keyboard.press('Enter');
    await page
      .waitForFunction((hash) => location.hash === hash, skip.hash, { timeout: 2000 })
      .catch(() => {});
    const landed = await page.evaluate(inspectSkipTarget, skip.hash);
    for (const p of landed.problems) fail('skip link', p);
    await page.keyboard.press('Tab');
    const after = await page.evaluate(inspectAfterSkip, skip.hash);
    for (const p of after.problems) fail('skip link', p);
  }
  return { info, stops };
}

// "Exit this page" on a sensitive page: a plain link out, and with JavaScript the click (or Shift
// pressed three times) replaces the page in the history, so Back returns to the page before it.
// The destination is answered here with a stub: no request leaves the machine.
async function checkExit(context, baseUrl, outDir, report) {
  const pages = await findPages(outDir);
  let sensitive = null;
  for (const p of pages) {
    const file = path.join(outDir, p.endsWith('/') ? `${p}index.html` : p);
    const html = await fs.readFile(file, 'utf8').catch(() => '');
    if (html.includes('data-exit')) {
      sensitive = p;
      break;
    }
  }
  if (!sensitive) return;
  const fail = (message) => report.push({ page: sensitive, width: null, kind: 'exit', message });
  const page = await context.newPage();
  try {
    let target = null;
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => {
      target = route.request().url();
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<title>away</title><p>away</p>' });
    });
    const href = await (async () => {
      await page.goto(new URL('/', baseUrl).href);
      await page.goto(new URL(sensitive, baseUrl).href);
      return page.evaluate(() => document.querySelector('[data-exit] a')?.getAttribute('href'));
    })();
    if (!href || !/^https:\/\//.test(href)) {
      fail(`the exit control is not a plain https link (href ${href})`);
      return;
    }
    for (const how of ['click', 'Shift three times']) {
      target = null;
      if (how === 'click') {
        await page.click('[data-exit] a');
      } else {
        for (let i = 0; i < 3; i++) await page.keyboard.press('Shift');
      }
      await page.waitForURL((u) => !u.href.startsWith(baseUrl), { timeout: 5000 }).catch(() => {});
      if (!target) {
        fail(`${how}: the page did not leave for the exit link`);
        continue;
      }
      await page.goBack({ waitUntil: 'load' }).catch(() => {});
      const back = page.url();
      if (back !== new URL('/', baseUrl).href) {
        fail(`${how}: Back returns to ${shortUrl(back)}, not to the page before the sensitive one`);
      }
      await page.goto(new URL(sensitive, baseUrl).href);
    }
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

// Each page is loaded three times per width (axe, the Tab walk, the skip link): a problem seen on
// every load is reported once.
function dedupe(report) {
  const seen = new Set();
  return report.filter((r) => {
    const key = JSON.stringify([r.page, r.width, r.kind, r.rule, r.target, r.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function printReport(report, pagesOrder) {
  const byPage = new Map(pagesOrder.map((p) => [p, []]));
  for (const r of report) {
    if (!byPage.has(r.page)) byPage.set(r.page, []);
    byPage.get(r.page).push(r);
  }
  const kindOrder = ['page', 'request', 'script', 'document', 'axe', 'skip link', 'keyboard', 'focus'];
  for (const [page, items] of byPage) {
    if (items.length === 0) continue;
    console.log(`\n${page}`);
    items.sort(
      (a, b) =>
        kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) ||
        (a.rule || '').localeCompare(b.rule || '') ||
        (a.width ?? 0) - (b.width ?? 0),
    );
    for (const r of items) {
      const w = r.width ? `${r.width}px` : 'all';
      if (r.kind === 'axe') {
        console.log(`  [${w}] axe ${r.rule} (${r.impact}): ${r.help}`);
        console.log(`      at ${r.target}`);
        if (r.message) console.log(`      ${r.message}`);
      } else {
        console.log(`  [${w}] ${r.kind}: ${r.message}`);
      }
    }
  }
}

function printRuleIndex(report) {
  const rules = new Map();
  for (const r of report.filter((x) => x.kind === 'axe')) {
    if (!rules.has(r.rule)) rules.set(r.rule, { impact: r.impact, help: r.help, pages: new Set(), nodes: 0 });
    const e = rules.get(r.rule);
    e.pages.add(r.page);
    e.nodes++;
  }
  if (rules.size === 0) return;
  console.log('\naxe rules violated:');
  for (const [id, e] of [...rules].sort((a, b) => a[0].localeCompare(b[0]))) {
    const n = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
    console.log(`  ${id} (${e.impact}, ${n(e.nodes, 'node')} on ${n(e.pages.size, 'page')}): ${e.help}`);
    console.log(`      ${[...e.pages].join(' ')}`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'placard-browser-'));
  let server = null;
  let context = null;
  const deadline = setTimeout(() => {
    console.error(`error: the browser checks took longer than ${DEADLINE_SECONDS} s; stopped`);
    process.exit(2);
  }, DEADLINE_SECONDS * 1000);
  deadline.unref();

  try {
    let outDir = opts.built;
    if (!outDir) {
      outDir = path.join(tmp, 'site');
      buildSite(opts.root, outDir);
    }
    const pages = await findPages(outDir);
    if (pages.length === 0) throw new HarnessError(`no HTML pages in ${outDir}`);

    const require = createRequire(import.meta.url);
    const axeSource = await fs.readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

    server = await startServer(outDir);
    const baseUrl = `http://127.0.0.1:${server.address().port}/`;

    await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
    const userDataDir = path.join(tmp, 'chromium-profile');
    await fs.mkdir(userDataDir);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: WIDTHS[0], height: HEIGHTS[WIDTHS[0]] },
      reducedMotion: 'reduce',
      serviceWorkers: 'block',
      timeout: 60_000,
    });
    context.setDefaultTimeout(20_000);
    await context.addInitScript(focusHelpers);

    const report = [];
    const screenshots = [];
    const stateByPage = new Map();

    // Every request any page makes: only 127.0.0.1 may be asked for anything.
    await context.route('**/*', (route) => {
      const req = route.request();
      if (isLoopback(req.url())) return route.continue();
      let st = {};
      try {
        st = stateByPage.get(req.frame().page()) || {};
      } catch {
        // not a page's request (a worker's): no page to name
      }
      report.push({
        page: st.label || '(unknown page)',
        width: st.width,
        kind: 'request',
        message: `${req.resourceType()} request to ${req.url()} (only 127.0.0.1 is allowed: no third-party requests)`,
      });
      return route.abort('blockedbyclient');
    });

    const jobs = Math.max(1, Number.parseInt(process.env.A11Y_JOBS || '2', 10) || 2);
    const queue = [];
    for (const p of pages) for (const w of WIDTHS) queue.push([p, w]);
    const titles = new Map();
    let runs = 0;
    let tabStops = 0;

    async function worker() {
      const page = await context.newPage();
      const state = {};
      stateByPage.set(page, state);
      page.on('pageerror', (err) =>
        report.push({
          page: state.label,
          width: state.width,
          kind: 'script',
          message: `uncaught error: ${err.message}`,
        }),
      );
      page.on('response', (res) => {
        // Every resource must load; the missing-page URL is meant to answer 404.
        if (res.status() >= 400 && res.url() !== state.mainUrl) {
          report.push({
            page: state.label,
            width: state.width,
            kind: 'request',
            message: `${shortUrl(res.url())} answered ${res.status()}`,
          });
        }
      });
      while (queue.length > 0) {
        const [pagePath, width] = queue.shift();
        const result = await checkPage(page, state, {
          baseUrl,
          pagePath,
          width,
          axeSource,
          report,
          screenshots,
        });
        runs++;
        if (result) {
          tabStops += result.stops;
          if (result.info) titles.set(pagePath, result.info.title);
        }
      }
      await page.close();
    }
    await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));

    await checkExit(context, baseUrl, outDir, report);

    const byTitle = new Map();
    for (const [p, t] of titles) {
      if (!t) continue;
      if (!byTitle.has(t)) byTitle.set(t, []);
      byTitle.get(t).push(p);
    }
    for (const [t, ps] of byTitle) {
      if (ps.length < 2) continue;
      for (const p of ps) {
        const others = ps.filter((x) => x !== p).join(', ');
        report.push({
          page: p,
          width: null,
          kind: 'document',
          message: `the title "${t}" is also the title of ${others}`,
        });
      }
    }

    const problems = dedupe(report);
    printReport(problems, pages);
    printRuleIndex(problems);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const axeNodes = problems.filter((r) => r.kind === 'axe');
    const axeRules = new Set(axeNodes.map((r) => r.rule));
    const other = problems.length - axeNodes.length;
    console.log(
      `\nbrowser checks: ${pages.length} pages x ${WIDTHS.length} widths (${WIDTHS.join(' and ')} px) = ${runs} page views,` +
        ` ${tabStops} Tab stops; ${axeNodes.length} axe violations (${axeRules.size} rules),` +
        ` ${other} other problems; ${seconds} s`,
    );
    if (screenshots.length) console.log(`screenshots: ${screenshots.sort().join(', ')}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    if (context) await context.close().catch(() => {});
    if (server) await new Promise((r) => server.close(r));
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`error: ${err instanceof HarnessError ? err.message : err.stack || err}`);
    process.exit(2);
  },
);
