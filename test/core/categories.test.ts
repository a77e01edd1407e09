// Category nodes and slugs: feed URLs are a promise to subscribers, so slugs must be stable and safe.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignSlugPaths, nodeDir, nodeKey, nodesOf, siblingSlugs, slugify } from '../../src/core/categories.js';

describe('slugify', () => {
  it('NFKC-normalizes and lowercases', () => {
    expect(slugify('ＡＢＣ Ｄｅｆ')).toBe('abc-def');
    expect(slugify('Hacker News')).toBe('hacker-news');
    expect(slugify('ﬁle')).toBe('file');
  });

  it('turns whitespace and / \\ . ? # % into -, collapsing runs and trimming the ends', () => {
    expect(slugify('a/b\\c.d?e#f%g')).toBe('a-b-c-d-e-f-g');
    expect(slugify('  a \t\n b  ')).toBe('a-b');
    expect(slugify('a -- / -- b')).toBe('a-b');
    expect(slugify('...a...')).toBe('a');
  });

  it('keeps Unicode letters', () => {
    expect(slugify('新浪财经－国內')).toBe('新浪财经-国內');
    expect(slugify('Animen 动漫平台')).toBe('animen-动漫平台');
    expect(slugify('Ελληνικά Café')).toBe('ελληνικά-café');
  });

  it('gives a name that slugs to nothing a short stable hash', () => {
    const s = slugify('???');
    expect(s).toMatch(/^[0-9a-f]{6}$/);
    expect(slugify('???')).toBe(s);
    expect(slugify('!!!')).not.toBe(s);
    expect(slugify('')).toMatch(/^[0-9a-f]{6}$/);
    expect(slugify('🦈')).toMatch(/^[0-9a-f]{6}$/);
  });

  it('cuts very long names, keeping them distinct', () => {
    const a = slugify('长'.repeat(100) + 'a');
    const b = slugify('长'.repeat(100) + 'b');
    expect(Array.from(a).length).toBeLessThanOrEqual(60);
    expect(a).not.toBe(b);
  });

  it('never yields a path segment that is empty, `.`/`..`, or holds a separator', () => {
    for (const name of ['..', '.', '/', '../..', '..\\..', '%2e%2e', '%2F', '\u2024\u2024', '．．', '／', '＼', ' ', '\u0000', 'a/../b']) {
      const s = slugify(name);
      expect(s, name).not.toBe('');
      expect(s, name).not.toMatch(/^\.+$/);
      expect(s, name).not.toMatch(/[/\\?#%\s]/);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 30, unit: 'binary' }), (name) => {
        const s = slugify(name);
        return s !== '' && !/^\.+$/.test(s) && !/[/\\?#%\s\u0000-\u001f]/.test(s) && s === s.toLowerCase();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('sibling slugs', () => {
  it('keeps plain slugs when siblings do not collide', () => {
    expect(Object.fromEntries(siblingSlugs(['Tech', '新浪财经']))).toEqual({ Tech: 'tech', 新浪财经: '新浪财经' });
  });

  it('gives both colliding names a stable hash suffix, whatever the order', () => {
    const a = siblingSlugs(['news', '— news', 'other']);
    const b = siblingSlugs(['other', '— news', 'news']);
    expect(a.get('news')).toMatch(/^news-[0-9a-f]{6}$/);
    expect(a.get('— news')).toMatch(/^news-[0-9a-f]{6}$/);
    expect(a.get('news')).not.toBe(a.get('— news'));
    expect(a.get('other')).toBe('other');
    expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
    const c = siblingSlugs(['A', 'a']);
    expect(c.get('A')).not.toBe(c.get('a'));
  });

  it('is order-independent for any set of names', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'A', ' ', '.', '/', '-', '新') }), { maxLength: 8 }), (names) => {
        const fwd = siblingSlugs(names);
        const rev = siblingSlugs([...names].reverse());
        const slugs = [...fwd.values()];
        return names.every((n) => fwd.get(n) === rev.get(n)) && new Set(slugs).size === slugs.length;
      }),
      { numRuns: 500 },
    );
  });
});

describe('nodes', () => {
  it('nodesOf lists the site and every node of a 3-level hierarchy, parents first', () => {
    expect(nodesOf([['金融', '新浪财经', '新浪财经－国內']])).toEqual([[], ['金融'], ['金融', '新浪财经'], ['金融', '新浪财经', '新浪财经－国內']]);
    expect(nodesOf([])).toEqual([[]]);
  });

  it('nodesOf merges hierarchies sharing a parent', () => {
    expect(nodesOf([['a', 'b'], ['a', 'c'], ['d']])).toEqual([[], ['a'], ['a', 'b'], ['a', 'c'], ['d']]);
  });

  it('the same name under different parents is a different node', () => {
    const nodes = nodesOf([['a', 'news'], ['b', 'news']]);
    expect(new Set(nodes.map(nodeKey)).size).toBe(nodes.length);
    expect(nodes).toHaveLength(5);
  });

  it('assignSlugPaths nests slugs under their parents, resolving collisions per parent only', () => {
    const nodes = nodesOf([['二次元', 'Animen 动漫平台', 'news'], ['二次元', 'Animen 动漫平台', '— news'], ['金融', 'news']]);
    const slugs = assignSlugPaths(nodes);
    expect(slugs.get(nodeKey([]))).toEqual([]);
    expect(slugs.get(nodeKey(['二次元', 'Animen 动漫平台']))).toEqual(['二次元', 'animen-动漫平台']);
    expect(slugs.get(nodeKey(['二次元', 'Animen 动漫平台', 'news']))![2]).toMatch(/^news-[0-9a-f]{6}$/);
    expect(slugs.get(nodeKey(['金融', 'news']))).toEqual(['金融', 'news']);
    expect(nodeDir(slugs.get(nodeKey(['金融', 'news']))!)).toBe('categories/金融/news/');
    expect(nodeDir([])).toBe('');
  });

  it('no category name can make a node folder leave categories/', () => {
    const evil = ['..', '../..', '/etc', '.', '%2e%2e', '..\\..', ' .. '];
    const slugs = assignSlugPaths(nodesOf(evil.map((e) => [e, e])));
    for (const s of slugs.values()) {
      const dir = nodeDir(s);
      if (!s.length) continue;
      expect(dir.startsWith('categories/')).toBe(true);
      expect(dir.split('/').filter((seg) => seg === '..' || seg === '.' )).toEqual([]);
      expect(dir.split('/')).toHaveLength(s.length + 2);
    }
  });
});
