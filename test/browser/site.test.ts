// The corpus site in a real browser: Debian's Chromium, driven by playwright-core, against the local
// server. Loads the index, a category page and an article page; follows every autodiscovery link to a
// feed that parses; follows an item link from a feed to its page; renders a feed through its XSL;
// saves screenshots (desktop and a 390×844 phone) under test-output/screenshots/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeHTML } from 'entities';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/config.js';
import { build } from '../../src/build/publish.js';
import { createServer, listen } from '../../src/cli/serve.js';
import { FsStore } from '../../src/store/fs-store.js';
import { CORPUS_DIR, disposeAtomValidator, parseWithFeedsmith, parseWithRssParser, validateAtom, validateJsonFeed, wellFormedXml } from '../helpers/feeds.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');
const PHONE = { width: 390, height: 844 };
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`\n[browser test] SKIPPED: ${CHROMIUM} is missing. Install it with \`apt-get install -y chromium\` (.ci/run does) to run test/browser.\n`);
}

describe.skipIf(!hasChromium)('the corpus site in Chromium', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'syndic-browser-'));
    // The server's port must be known before the build: every link in the site is absolute.
    server = createServer(dir);
    base = await listen(server, 0, '127.0.0.1');
    const settings = await loadSettings(ROOT, { siteUrl: base });
    const result = await build({ content: new FsStore(CORPUS_DIR), contentPrefix: '', out: new FsStore(dir), outPrefix: '', settings, log: () => {} });
    expect(result.entries.length).toBe(90);
    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Article images point at the real web: keep the test offline and deterministic.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
    disposeAtomValidator();
  });

  /** Fetches every autodiscovery link of the current page and checks that it is a feed that parses. */
  async function checkAutodiscovery(expectedDir: string): Promise<void> {
    const alts = [];
    for (const l of await page.locator('link[rel="alternate"]').all()) {
      alts.push({ type: await l.getAttribute('type'), title: await l.getAttribute('title'), href: new URL((await l.getAttribute('href'))!, page.url()).href });
    }
    expect(alts.map((a) => a.type)).toEqual(['application/rss+xml', 'application/atom+xml', 'application/feed+json']);
    for (const a of alts) {
      expect(a.title).toBeTruthy();
      expect(a.href.startsWith(`${base}/${expectedDir}`)).toBe(true);
      const res = await page.request.get(a.href);
      expect(res.status(), a.href).toBe(200);
      expect(res.headers()['content-type']).toBe(`${a.type}; charset=utf-8`);
      const body = await res.text();
      if (a.type === 'application/feed+json') {
        expect(validateJsonFeed(body), a.href).toEqual([]);
      } else {
        expect(wellFormedXml(body), a.href).toEqual([]);
        if (a.type === 'application/atom+xml') expect(validateAtom(body), a.href).toEqual([]);
        const format = a.type === 'application/rss+xml' ? 'rss' : 'atom';
        expect(parseWithFeedsmith(body, format).items.length, a.href).toBeGreaterThan(0);
        expect((await parseWithRssParser(body)).items.length, a.href).toBeGreaterThan(0);
      }
    }
  }

  /** Desktop full-page screenshot, then a phone-sized one; true if the phone view has no sideways scroll. */
  async function screenshots(name: string): Promise<boolean> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`) });
    const fits = (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) as boolean;
    await page.setViewportSize({ width: 1280, height: 900 });
    return fits;
  }

  it('shows the index page with the site feeds, the category tree and the newest articles', async () => {
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    expect(await page.locator('h1').first().textContent()).toBe('Syndic 示例站');
    await checkAutodiscovery('');
    expect(await page.locator('.tree a[href*="/categories/"]').count()).toBeGreaterThan(30);
    expect(await page.locator('.entries li').count()).toBe(20);
    expect(await page.locator('a[href$="/feeds.opml"]').count()).toBeGreaterThan(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await screenshots('index')).toBe(true);
  });

  it('shows a category page with its own feeds, reached from the index', async () => {
    await page.goto(`${base}/`);
    const link = page.locator('.tree > li > a').first();
    const name = await link.textContent();
    await link.click();
    await page.waitForLoadState();
    expect(page.url()).toMatch(new RegExp(`^${base}/categories/[^/]+/$`));
    expect(await page.locator('h1').textContent()).toBe(name);
    await checkAutodiscovery(page.url().slice(base.length + 1));
    expect(await page.locator('.entries li').count()).toBeGreaterThan(0);
    expect(await screenshots('category')).toBe(true);
  });

  it('follows an item link from a feed to its article page', async () => {
    const rss = await (await page.request.get(`${base}/categories/%E9%87%91%E8%9E%8D/rss.xml`)).text();
    const items = (await parseWithRssParser(rss)).items;
    expect(items.length).toBeGreaterThan(0);
    const item = items[0]!;
    const res = await page.goto(item.link!);
    expect(res?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe(item.title);
    expect(await page.locator('link[rel="canonical"]').getAttribute('href')).toBe(item.link);
    await checkAutodiscovery('');
    // Its categories link to their pages, which exist.
    const cats = await Promise.all((await page.locator('.categories a').all()).map(async (a) => new URL((await a.getAttribute('href'))!, page.url()).href));
    expect(cats.length).toBeGreaterThan(0);
    for (const c of cats) expect((await page.request.get(c)).status(), c).toBe(200);
    expect(await screenshots('article')).toBe(true);
  });

  it('renders the longest article readably on a phone', async () => {
    await page.goto(`${base}/articles/juejin-02/`);
    expect(await page.locator('.content').count()).toBe(1);
    expect(await screenshots('article-long')).toBe(true);
  });

  it('shows a feed as a page through its XSL stylesheet', async (ctx) => {
    // Chromium shows application/rss+xml as plain text and applies stylesheets only to XML types:
    // the server answers a browser navigation (Sec-Fetch-Dest: document) with application/xml.
    for (const format of ['rss', 'atom'] as const) {
      const url = `${base}/categories/%E9%87%91%E8%9E%8D/${format}.xml`;
      await page.goto(url);
      if (!(await page.evaluate("'XSLTProcessor' in window"))) return ctx.skip('this Chromium has no XSLT');
      const feed = parseWithFeedsmith(await (await page.request.get(url)).text(), format);
      expect(await page.locator('h1').textContent()).toBe(feed.title);
      expect(await page.locator('.hint').textContent()).toContain('copy this URL into your feed reader');
      expect(await page.locator('.hint code').textContent()).toBe(url);
      // Atom titles are type="html": their value is escaped HTML, which the XSL shows as text.
      const titles = await page.locator('.entries h3 a').allTextContents();
      expect(titles).toEqual(feed.items.map((i) => (format === 'atom' ? decodeHTML(i.title!) : i.title)));
      expect(await page.locator('.entries h3 a').first().getAttribute('href')).toBe(feed.items[0]!.link);
      expect(await screenshots(`feed-${format}`)).toBe(true);
    }
    // A feed reader's request (no Sec-Fetch-Dest) still gets the feed's own type.
    const plain = await fetch(`${base}/rss.xml`);
    expect(plain.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
  });
});

