// The Store over a local folder: `syndic build` and `npm start` use it.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { etagOf } from './etag.js';
import { compareKeys, PreconditionFailed, type ObjectInfo, type PutOptions, type Store, type StoredObject, type TooLarge } from './store.js';

export class FsStore implements Store {
  readonly root: string;
  readonly name: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.name = this.root;
  }

  /** Maps a key to a file, refusing any key that would leave the folder. */
  private file(key: string): string {
    const p = path.resolve(this.root, key);
    if (key.startsWith('/') || key.split('/').includes('..') || (p !== this.root && !p.startsWith(this.root + path.sep)))
      throw new Error(`key ${JSON.stringify(key)} leaves ${this.root}`);
    return p;
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.file(key);
    try {
      const [body, st] = await Promise.all([readFile(file), stat(file)]);
      if (!st.isFile()) return null;
      return { key, body: new Uint8Array(body), etag: etagOf(body), size: body.length, lastModified: st.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw e;
    }
  }

  async getCapped(key: string, maxBytes: number): Promise<StoredObject | TooLarge | null> {
    // One read: head() reads the whole file for its ETag too, so head-then-get read it twice.
    const obj = await this.get(key);
    if (!obj) return null;
    if (obj.size > maxBytes) return { key, etag: obj.etag, size: obj.size, lastModified: obj.lastModified, tooLarge: true };
    return obj;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const obj = await this.get(key);
    if (!obj) return null;
    return { key, etag: obj.etag, size: obj.size, lastModified: obj.lastModified };
  }

  async listDir(prefix: string): Promise<ObjectInfo[]> {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`listDir: ${JSON.stringify(prefix)} is not a folder prefix`);
    const dir = prefix === '' ? this.root : this.file(prefix.slice(0, -1));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
    const out: ObjectInfo[] = [];
    for (const ent of entries) {
      if (!ent.isFile() || ent.name.endsWith('.tmp')) continue;
      const info = await this.head(prefix + ent.name);
      if (info) out.push(info);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const file = this.file(key);
    if (options.ifMatch !== undefined || options.ifNoneMatch !== undefined) {
      const current = await this.get(key);
      if (options.ifNoneMatch === '*' && current) throw new PreconditionFailed(key);
      if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) throw new PreconditionFailed(key);
    }
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename, so a reader (the local server) never sees half a file.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
    return { etag: etagOf(body) };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const ent of entries) {
        const key = keyPrefix + ent.name;
        if (ent.isDirectory()) {
          if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix)) await walk(path.join(dir, ent.name), key + '/');
        } else if (ent.isFile() && key.startsWith(prefix) && !ent.name.endsWith('.tmp')) {
          const file = path.join(dir, ent.name);
          const st = await stat(file);
          // The ETag is hashed only when asked for: a build lists its articles and then reads
          // each one anyway, and hashing them here too made every article be read twice.
          let etag: string | undefined;
          out.push(
            Object.defineProperty({ key, size: st.size, lastModified: st.mtime } as ObjectInfo, 'etag', {
              enumerable: true,
              get: () => (etag ??= etagOf(readFileSync(file))),
            }),
          );
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** As S3 pages a listing: up to 1,000 keys after `startAfter`, in UTF-8 byte order. */
  async listPage(prefix: string, startAfter: string): Promise<{ items: ObjectInfo[]; truncated: boolean }> {
    const all = (await this.list(prefix)).filter((o) => compareKeys(o.key, startAfter) > 0).sort((a, b) => compareKeys(a.key, b.key));
    return { items: all.slice(0, 1000), truncated: all.length > 1000 };
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
