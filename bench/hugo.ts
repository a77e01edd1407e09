// The same generated articles as a Hugo site, to time Hugo (when `hugo` is on the PATH) against
// `syndic build` in the same bench run. Front matter is mapped to Hugo's (title, date, the three
// category levels as `categories` terms, author as a param); the bodies are the same bytes, with
// raw HTML passed through (goldmark `unsafe`, since Syndic publishes HTML too). The site has no
// theme, only minimal layouts so Hugo writes what Syndic writes: a page per article, a page and an
// RSS feed (newest 20) for the home page, the section and every category term.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import matter from 'gray-matter';
import yaml from 'js-yaml';

const exec = promisify(execFile);

/** `hugo version`'s first line, or null when Hugo is not installed. */
export async function hugoVersion(): Promise<string | null> {
  try {
    const { stdout } = await exec('hugo', ['version']);
    return stdout.trim().split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

const CONFIG = (n: number) => `baseURL = "http://127.0.0.1:8080/"
languageCode = "zh-CN"
title = "Syndic bench (${n} articles)"
disableKinds = ["sitemap", "robotsTXT", "404"]
rssLimit = 20
[taxonomies]
  category = "categories"
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML", "RSS"]
  taxonomy = ["HTML", "RSS"]
  term = ["HTML", "RSS"]
[markup.goldmark.renderer]
  unsafe = true
`;

const BASE = `<!doctype html>
<html lang="{{ .Site.LanguageCode }}"><head><meta charset="utf-8"><title>{{ .Title }} — {{ .Site.Title }}</title>
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">{{ end }}</head>
<body><header><a href="{{ .Site.BaseURL }}">{{ .Site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
`;
const SINGLE = `{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02 15:04" }}{{ with .Params.author }} · {{ . }}{{ end }}</p>
<ul>{{ range .Params.categories }}<li><a href="{{ "categories/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>
<div>{{ .Content }}</div></article>{{ end }}
`;
const LIST = `{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ len .Pages }} pages</p>
<ol>{{ range first 20 .Pages.ByDate.Reverse }}<li><a href="{{ .Permalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02 15:04" }}<p>{{ .Summary | plainify | truncate 200 }}</p></li>{{ end }}</ol>{{ end }}
`;

async function listMarkdown(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listMarkdown(dir, rel)));
    else if (e.name.endsWith('.md')) out.push(rel);
  }
  return out.sort();
}

/** Writes a Hugo site made from the Syndic articles in `articlesDir` into `siteDir` (emptied first). */
export async function makeHugoSite(articlesDir: string, siteDir: string): Promise<number> {
  await rm(siteDir, { recursive: true, force: true });
  await mkdir(path.join(siteDir, 'layouts/_default'), { recursive: true });
  const files = await listMarkdown(articlesDir);
  await writeFile(path.join(siteDir, 'hugo.toml'), CONFIG(files.length));
  await writeFile(path.join(siteDir, 'layouts/_default/baseof.html'), BASE);
  await writeFile(path.join(siteDir, 'layouts/_default/single.html'), SINGLE);
  await writeFile(path.join(siteDir, 'layouts/_default/list.html'), LIST);
  const made = new Map<string, Promise<unknown>>();
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(
      files.slice(i, i + 64).map(async (rel) => {
        const src = await readFile(path.join(articlesDir, rel), 'utf8');
        const parsed = matter(src, { engines: { yaml: (s: string) => yaml.load(s, { schema: yaml.CORE_SCHEMA }) as object } });
        const d = parsed.data as { title?: string; date?: string; categories?: string[]; tags?: string[]; author?: string };
        const front = yaml.dump(
          {
            title: d.title,
            date: new Date(String(d.date)).toISOString(),
            categories: d.categories ?? [],
            ...(d.author ? { author: d.author } : {}),
            ...(d.tags ? { keywords: d.tags } : {}),
          },
          { lineWidth: -1 },
        );
        const dest = path.join(siteDir, 'content/posts', rel);
        const dir = path.dirname(dest);
        if (!made.has(dir)) made.set(dir, mkdir(dir, { recursive: true }));
        await made.get(dir);
        await writeFile(dest, `---\n${front}---\n${parsed.content}`);
      }),
    );
  }
  return files.length;
}
