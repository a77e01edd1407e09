// Article assets on the S3 path (issue 10 item 6): a file under content/ that an article links
// relatively (an image, audio, a PDF) is copied to the public key core/assets.ts maps it to, with
// its Content-Type, and removed when its source goes. Level-triggered from both sides: an article's
// invocation records the link in `state/assets/<hash of source>.json` and then checks the source;
// the source's invocation (its object already written or deleted) reads that index afterwards. One
// of the two always sees the other, and every copy is checked against the source after it is made.
import { assetContentType } from '../core/assets.js';
import { CONTENT_PREFIX, PUBLIC_PREFIX } from '../core/layout.js';
import type { Store } from '../store/store.js';
import { assetIndexKey, Conflict, readJson, recordKey, retryOnConflict, updateJson, type ArticleRecord, type AssetIndex } from './state.js';

export interface AssetEffects {
  written: Set<string>;
  deleted: Set<string>;
}

/** Makes public/<pub> a copy of content/<src> (or absent when the source is), checked after writing. */
export async function syncAssetCopy(store: Store, pub: string, src: string, effects: AssetEffects): Promise<void> {
  const from = CONTENT_PREFIX + src;
  const to = PUBLIC_PREFIX + pub;
  await retryOnConflict(to, async () => {
    const source = await store.head(from);
    const copy = await store.head(to);
    if (!source) {
      if (copy) {
        await store.delete(to);
        effects.deleted.add(to);
      }
      return;
    }
    if (copy?.etag === source.etag) return;
    const obj = await store.get(from);
    if (!obj) throw new Conflict(`${from} went away while being copied`);
    const contentType = assetContentType(src) ?? 'application/octet-stream';
    await store.put(to, obj.body, { contentType });
    effects.written.add(to);
    // A newer version (or a delete) of the source may have been handled meanwhile: check, redo if so.
    if ((await store.head(from))?.etag !== obj.etag) throw new Conflict(`${from} changed while being copied`);
  });
}

/** The article `id` links `src` at `pub`: recorded in the source's index (before the source is checked). */
export async function indexAsset(store: Store, id: string, pub: string, src: string): Promise<void> {
  const key = CONTENT_PREFIX + src;
  await updateJson<AssetIndex>(store, assetIndexKey(key), (cur) => {
    const refs = cur?.refs ?? [];
    if (refs.some((r) => r.id === id && r.path === pub)) return null;
    const next = [...refs, { id, path: pub }].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { source: key, refs: next };
  });
}

/** Every asset of a published record: indexed, then copied (or removed when its source is gone). */
export async function syncRecordAssets(store: Store, rec: ArticleRecord | null, effects: AssetEffects): Promise<void> {
  if (!rec || rec.status !== 'published') return;
  for (const [pub, src] of rec.assets ?? []) {
    await indexAsset(store, rec.id, pub, src);
    await syncAssetCopy(store, pub, src, effects);
  }
}

/** An event for a content key that is an asset: every article that links it now gets its copy made or removed. */
export async function syncAssetKey(store: Store, key: string, effects: AssetEffects): Promise<void> {
  const src = key.slice(CONTENT_PREFIX.length);
  const index = (await readJson<AssetIndex>(store, assetIndexKey(key))).value;
  if (!index) return;
  const stale: { id: string; path: string }[] = [];
  for (const ref of index.refs) {
    const rec = (await readJson<ArticleRecord>(store, recordKey(ref.id))).value;
    if (rec?.status === 'published' && (rec.assets ?? []).some(([p, s]) => p === ref.path && s === src)) await syncAssetCopy(store, ref.path, src, effects);
    else stale.push(ref); // no longer linked: the article's own record deletes its old copy (oldPages)
  }
  if (stale.length)
    await updateJson<AssetIndex>(store, assetIndexKey(key), (cur) => {
      if (!cur) return null;
      const refs = cur.refs.filter((r) => !stale.some((s) => s.id === r.id && s.path === r.path));
      return refs.length === cur.refs.length ? null : { ...cur, refs };
    });
}
