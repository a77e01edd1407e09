// File-system helpers of the local build: atomic writes through one temporary folder inside the
// output, the output's manifest (which files a Syndic build wrote, so only those are ever removed),
// and a digest for comparing bytes.
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** Temporary files are written here and renamed into place; the folder is removed after every build. */
export const TMP_DIR = '.syndic-tmp';
/** The output's manifest: every file an earlier Syndic build wrote there, with its digest and stat. */
export const MANIFEST_FILE = '.syndic-manifest.json';

/**
 * Paths a build is about to create, one per line, in TMP_DIR: declared before the files are
 * written, so that a build killed before its manifest is saved leaves the list of what it may have
 * created (TMP_DIR is removed only after the manifest is written). The next build reads it and takes
 * those files as its own: rewritten when still planned, removed when not (a deleted article's page).
 */
const INTENTS_FILE = 'intents';

/** Declares `rels` (paths no manifest lists yet) as about to be written into `outDir`. */
export function declareIntents(outDir: string, rels: readonly string[]): void {
  if (rels.length) appendFileSync(path.join(outDir, TMP_DIR, INTENTS_FILE), `${rels.join('\n')}\n`);
}

/** The paths an interrupted build declared (none after a build that finished). */
export function readIntents(outDir: string): string[] {
  try {
    return readFileSync(path.join(outDir, TMP_DIR, INTENTS_FILE), 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** A file an interrupted build may have written: owned, but never trusted unread (no stat matches it). */
export const INTERRUPTED: FileRecord = Object.freeze({ hash: '', size: -1, mtimeMs: -1 });

/** sha1 in hex: a content digest for cache keys and comparisons, not a security boundary. */
export function digest(data: string | Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/** One file the build wrote: its digest, and its size and mtime then (a changed stat means someone touched it). */
export interface FileRecord {
  hash: string;
  size: number;
  mtimeMs: number;
  /** Assets: the content file copied, with its size and mtime when copied. */
  src?: [path: string, size: number, mtimeMs: number];
}

let sequence = 0;

function writeAll(fd: number, body: Uint8Array): { size: number; mtimeMs: number } {
  try {
    let off = 0;
    while (off < body.length) off += writeSync(fd, body, off, body.length - off);
    const st = fstatSync(fd);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `body` to `outDir/rel` so that a reader never sees half of a file that was there: a new
 * file is created in place (O_EXCL), an existing one is replaced by a rename from TMP_DIR.
 * `dirs` remembers folders known to exist; `likelyNew` says to make the folder first. Returns the new file's stat.
 */
export function writeAtomic(outDir: string, rel: string, body: Uint8Array, dirs: Set<string>, likelyNew = false): { size: number; mtimeMs: number } {
  const file = path.join(outDir, rel);
  const dir = path.dirname(file);
  if (likelyNew && !dirs.has(dir)) {
    // A file nobody wrote before usually has no folder yet either: one mkdir, no failed open.
    mkdirSync(dir, { recursive: true });
    dirs.add(dir);
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
      return writeAtomic(outDir, rel, body, dirs);
    }
    if (code !== 'EEXIST') throw e;
    const tmp = path.join(outDir, TMP_DIR, `${process.pid}-${threadId}-${sequence++}`);
    const st = writeAll(openSync(tmp, 'w'), body);
    renameSync(tmp, file);
    return st;
  }
  return writeAll(fd, body);
}

/** The manifest's text, or null when there is none (or it cannot be read). */
export function readManifestText(outDir: string): string | null {
  try {
    return readFileSync(path.join(outDir, MANIFEST_FILE), 'utf8');
  } catch {
    return null;
  }
}

/** The manifest's records; an absent or unreadable one is an empty map (then nothing is ever deleted). */
export function parseManifest(text: string | null): { files: Map<string, FileRecord>; found: boolean } {
  try {
    if (text === null) return { files: new Map(), found: false };
    const json = JSON.parse(text) as { generator?: string; files?: Record<string, FileRecord> };
    if (json.generator !== 'syndic' || !json.files || typeof json.files !== 'object') return { files: new Map(), found: false };
    const files = new Map<string, FileRecord>();
    for (const rel in json.files) files.set(rel, json.files[rel]!);
    return { files, found: true };
  } catch {
    return { files: new Map(), found: false };
  }
}

/** Reads the manifest; an absent or unreadable one is an empty map (then nothing is ever deleted). */
export function readManifest(outDir: string): { files: Map<string, FileRecord>; found: boolean } {
  return parseManifest(readManifestText(outDir));
}

export function writeManifest(outDir: string, files: ReadonlyMap<string, FileRecord>, dirs: Set<string>): void {
  const sorted = Object.create(null) as Record<string, FileRecord>; // (no prototype: any path is a plain key)
  for (const k of [...files.keys()].sort()) sorted[k] = files.get(k)!;
  writeAtomic(outDir, MANIFEST_FILE, Buffer.from(`${JSON.stringify({ generator: 'syndic', format: 1, files: sorted })}\n`), dirs);
}

/** The manifest's records whose file is still there with the same size and mtime: what can be trusted unread. */
export function intactFiles(outDir: string, files: ReadonlyMap<string, FileRecord>): Map<string, FileRecord> {
  const out = new Map<string, FileRecord>();
  for (const [rel, rec] of files) {
    // Joined by hand (the kernel resolves the same file as path.join would): normalising 10,000 paths shows in a profile.
    const st = statSync(outDir + path.sep + rel, { throwIfNoEntry: false });
    if (st?.isFile() && st.size === rec.size && st.mtimeMs === rec.mtimeMs) out.set(rel, rec);
  }
  return out;
}

// What earlier versions' Store writes left behind when a run was killed: `<name>.<pid>.<random>.tmp`.
const LEGACY_TMP = /\.\d+\.[a-z0-9]+\.tmp$/;

/**
 * Removes what an interrupted build can leave: TMP_DIR, and, when `sweepLegacy` (an output with no
 * manifest yet), the temporary files of earlier versions anywhere in the folder. Returns how many.
 */
export function removeStaleTemporaries(outDir: string, sweepLegacy: boolean): number {
  let n = 0;
  const tmp = path.join(outDir, TMP_DIR);
  try {
    n += readdirSync(tmp).length;
  } catch {
    // none
  }
  rmSync(tmp, { recursive: true, force: true });
  if (!sweepLegacy) return n;
  const walk = (dir: string) => {
    let ents;
    try {
      ents = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && LEGACY_TMP.test(e.name)) {
        rmSync(p, { force: true });
        n++;
      }
    }
  };
  walk(outDir);
  return n;
}

/** Deletes a file the build wrote earlier, then its folders up to `outDir` while they are empty. */
export function removeOwned(outDir: string, rel: string): void {
  rmSync(path.join(outDir, rel), { force: true });
  let dir = path.dirname(path.join(outDir, rel));
  while (dir.startsWith(outDir + path.sep)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (or not ours to judge): stop
    }
    dir = path.dirname(dir);
  }
}
