// The feedLimit refill, bad articles next to good ones, and WebSub pings, against a real local S3 server.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Level } from '../../src/log.js';
import { errorKey } from '../../src/lambda/state.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { article, jsonFeed, runner, settingsFor, snapshot, titles } from './harness.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

const day = (i: number) => `2024-01-${String(i).padStart(2, '0')}T00:00:00Z`;

describe('feedLimit refill', () => {
  it('brings the 21st article into the feeds when one of the newest 20 is deleted', async () => {
    const store = await s3.createBucket('refill');
    const run = runner(store, 'refill', settingsFor({ feedLimit: 20 }));
    for (let i = 1; i <= 25; i++) await store.put(`content/a${i}.md`, article({ title: `A${i}`, date: day(i), categories: ['Cat'] }));
    await run.rebuild();
    const feed = await jsonFeed(store, 'categories/cat/');
    expect(feed!.items).toHaveLength(20);
    expect(titles(feed)).not.toContain('A5'); // A25..A6 are the newest 20
    await run.remove('content/a20.md');
    for (const dir of ['', 'categories/cat/']) {
      const t = titles(await jsonFeed(store, dir))!;
      expect(t).toHaveLength(20);
      expect(t).not.toContain('A20');
      expect(t.at(-1)).toBe('A5');
    }
    expect((await run.rebuild()).written).toEqual([]);
  });
});

describe('bad articles', () => {
  it('keeps the feeds, records the error, logs one line, and drops an earlier good version', async () => {
    const store = await s3.createBucket('bad');
    const lines: { level: Level; msg: string; fields?: Record<string, unknown> }[] = [];
    const run = runner(store, 'bad', settingsFor(), (level, msg, fields) => lines.push({ level, msg, ...(fields ? { fields } : {}) }));
    await run.upload('content/good1.md', article({ title: 'Good 1', date: day(1), categories: ['C'] }));
    await run.upload('content/good2.md', article({ title: 'Good 2', date: day(2), categories: ['C'] }));
    const before = await snapshot(store);

    // Invalid YAML: the invocation succeeds (no throw), the feeds do not change.
    const res = await run.upload('content/broken.md', '---\ntitle: [unclosed\ndate: 2024-01-03\n---\nbody\n');
    expect(res.action === 'sync' && res.outcomes[0]!.status).toBe('rejected');
    expect(await snapshot(store)).toEqual(before);
    const err = JSON.parse(Buffer.from((await store.get(errorKey('content/broken.md')))!.body).toString());
    expect(err).toMatchObject({ id: 'broken', key: 'content/broken.md' });
    expect(err.reason).toBeTruthy();
    expect(err.time).toMatch(/^\d{4}-/);
    const logged = lines.filter((l) => l.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'article rejected', fields: { key: 'content/broken.md' } });

    // A good article replaced by one without a title leaves the feeds.
    await run.upload('content/good2.md', '---\ndate: 2024-01-02\ncategories: [C]\n---\nno title\n');
    expect(titles(await jsonFeed(store))).toEqual(['Good 1']);
    expect(titles(await jsonFeed(store, 'categories/c/'))).toEqual(['Good 1']);
    expect(await store.get(errorKey('content/good2.md'))).not.toBeNull();

    // Fixed: back in the feeds, and the error record is gone.
    await run.upload('content/good2.md', article({ title: 'Good 2', date: day(2), categories: ['C'] }));
    expect(titles(await jsonFeed(store))).toEqual(['Good 2', 'Good 1']);
    expect(await store.get(errorKey('content/good2.md'))).toBeNull();
    expect((await run.rebuild()).written).toEqual([]);
  });
});

describe('WebSub', () => {
  it('pings the hub once per changed feed after an upload, and not at all after an unchanged rebuild', async () => {
    const received: string[] = [];
    const hub = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
        const p = new URLSearchParams(body);
        expect(p.get('hub.mode')).toBe('publish');
        received.push(p.get('hub.url')!);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    const port = (hub.address() as { port: number }).port;
    try {
      const store = await s3.createBucket('websub');
      const run = runner(store, 'websub', settingsFor({ websubHub: `http://127.0.0.1:${port}/hub` }));
      await run.upload('content/w.md', article({ title: 'W', date: day(1), categories: ['Hub'] }));
      const base = 'https://feeds.example.com/';
      expect(received.sort()).toEqual(
        ['atom.xml', 'feed.json', 'rss.xml', 'categories/hub/atom.xml', 'categories/hub/feed.json', 'categories/hub/rss.xml'].map((p) => base + p).sort(),
      );
      // The feeds carry the hub link.
      expect((await snapshot(store)).get('atom.xml')).toContain(`http://127.0.0.1:${port}/hub`);
      received.length = 0;
      const r = await run.rebuildEvent();
      expect(r.action === 'rebuild' && r.result.written).toEqual([]);
      expect(r.action === 'rebuild' && r.hubNotified).toBe(0);
      await run.event('content/w.md'); // duplicate event: nothing changes, nothing announced
      expect(received).toEqual([]);
    } finally {
      await new Promise((r) => hub.close(r));
    }
  });
});
