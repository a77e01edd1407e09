// Deterministic bench data: N articles made from the real corpus bodies, with new front matter
// (unique titles and ids, dates spread over five years, ~30 three-level categories).
// Same seed and N → same bytes, so runs on different machines measure the same input.
//
//   npx tsx bench/generate.ts [N] [outDir]     (default 1000 into bench/data/articles-N)
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import matter from 'gray-matter';
import yaml from 'js-yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The real articles whose bodies the generator cycles; SYNDIC_CORPUS overrides the sibling checkout. */
export const CORPUS_DIR = process.env.SYNDIC_CORPUS ?? path.resolve(here, '../../shared/corpus/articles');
export const DATA_DIR = path.join(here, 'data');

/** mulberry32: a tiny seeded PRNG; Math.random would make every run's data different. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CorpusArticle {
  file: string;
  body: string;
  categories: string[];
}

/** The corpus bodies (front matter dropped) and their three-level category paths, in file order. */
export async function readCorpus(dir = CORPUS_DIR): Promise<CorpusArticle[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new Error(`bench: no corpus at ${dir}; set SYNDIC_CORPUS to a folder of articles (../shared/corpus/articles)`);
  }
  const files = names.filter((f) => f.endsWith('.md')).sort();
  return Promise.all(
    files.map(async (file) => {
      // gray-matter only to split front matter from body; CORE_SCHEMA keeps dates as strings.
      const parsed = matter((await readFile(path.join(dir, file), 'utf8')).trimStart(), {
        engines: { yaml: (s: string) => yaml.load(s, { schema: yaml.CORE_SCHEMA }) as object },
      });
      const cats = parsed.data.categories;
      return { file, body: parsed.content, categories: Array.isArray(cats) ? cats.map(String) : [] };
    }),
  );
}

/** About 30 distinct three-level paths taken from the corpus's real categories. */
export function categoryPaths(corpus: readonly CorpusArticle[], count = 30, seed = 7): string[][] {
  const distinct = [...new Map(corpus.filter((a) => a.categories.length === 3).map((a) => [a.categories.join('/'), a.categories])).values()];
  distinct.sort((a, b) => (a.join('/') < b.join('/') ? -1 : 1));
  const rand = prng(seed);
  // Fisher–Yates with the seeded PRNG, then keep the first `count`.
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [distinct[i], distinct[j]] = [distinct[j]!, distinct[i]!];
  }
  return distinct.slice(0, count);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** RFC 1123 (`Mon, 17 Jan 2022 12:25:25 GMT`), as most corpus articles write it. */
export function rfc1123(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}

const START = Date.UTC(2020, 0, 1);
/** Generated dates fall before this instant (2020 to the end of 2024). */
export const GENERATED_UNTIL = new Date(START + 5 * 365 * 24 * 3600 * 1000);
const FIVE_YEARS = 5 * 365 * 24 * 3600 * 1000;
const SUBFOLDERS = 8;

export interface Generated {
  /** Path relative to the output folder, e.g. `gen/3/00042.md`. */
  path: string;
  bytes: Buffer;
  categories: string[];
}

/** The i-th generated article: depends only on (i, seed), so any subset can be made on its own. */
export function makeArticle(
  i: number,
  corpus: readonly CorpusArticle[],
  paths: readonly string[][],
  seed = 1,
  fixed: { date?: Date; categories?: string[] } = {},
): Generated {
  const rand = prng(seed * 1_000_003 + i);
  const src = corpus[i % corpus.length]!;
  const drawn = paths[Math.floor(rand() * paths.length)]!;
  const cats = fixed.categories ?? drawn;
  const drawnDate = new Date(START + Math.floor(rand() * FIVE_YEARS / 1000) * 1000);
  const date = fixed.date ?? drawnDate;
  // Mix the formats publishers use: RFC 1123 mostly, some ISO 8601 with an offset.
  const dateText = rand() < 0.7 ? rfc1123(date) : date.toISOString().replace('.000Z', 'Z');
  const id = String(i).padStart(5, '0');
  const front = yaml.dump(
    {
      title: `${cats[2]} 第 ${i} 篇：${src.file.replace(/\.md$/, '')}`,
      categories: cats,
      author: cats[1],
      date: dateText,
      ...(i % 3 === 0 ? { tags: [cats[0], `t${i % 50}`] } : {}),
    },
    { lineWidth: -1 },
  );
  return { path: `gen/${i % SUBFOLDERS}/${id}.md`, bytes: Buffer.from(`---\n${front}---\n${src.body}`), categories: cats };
}

/** Writes articles [0, n) into outDir (emptied first). Returns their relative paths. */
export async function generate(n: number, outDir: string, seed = 1): Promise<string[]> {
  const corpus = await readCorpus();
  const paths = categoryPaths(corpus);
  await rm(outDir, { recursive: true, force: true });
  for (let s = 0; s < SUBFOLDERS; s++) await mkdir(path.join(outDir, 'gen', String(s)), { recursive: true });
  const out: string[] = [];
  const batch = 64;
  for (let i = 0; i < n; i += batch) {
    const items = Array.from({ length: Math.min(batch, n - i) }, (_, k) => makeArticle(i + k, corpus, paths, seed));
    await Promise.all(items.map((a) => writeFile(path.join(outDir, a.path), a.bytes)));
    out.push(...items.map((a) => a.path));
  }
  return out;
}

/** One article of about `bytes` bytes (the maxArticleBytes limit), made of repeated corpus bodies. */
export async function makeLargeArticle(bytes: number): Promise<Buffer> {
  const corpus = await readCorpus();
  const head = Buffer.from(`---\ntitle: 最大的文章\ncategories:\n - 新媒体\n - 36kr\n - 资讯\ndate: ${rfc1123(new Date(START))}\n---\n`);
  const parts: Buffer[] = [head];
  let size = head.length;
  for (let i = 0; ; i++) {
    const body = Buffer.from(corpus[i % corpus.length]!.body + '\n\n');
    if (size + body.length > bytes) break;
    parts.push(body);
    size += body.length;
  }
  return Buffer.concat(parts);
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 1000);
  const dir = path.resolve(process.argv[3] ?? path.join(DATA_DIR, `articles-${n}`));
  const t = performance.now();
  await generate(n, dir);
  console.log(`generated ${n} articles into ${dir} in ${Math.round(performance.now() - t)} ms`);
}
