// What `syndic new` writes: a ready article (front matter + a body to replace) and its file name.
// Pure: the caller passes the clock and the settings.
import yaml from 'js-yaml';
import { slugify } from './categories.js';

/** `2024-03-01 08:05:09`: `now` as a wall-clock time in `timeZone`, the form articles are read in. */
export function localDateTime(now: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** `'Tech/Web/CSS'` → `['Tech', 'Web', 'CSS']`: one category hierarchy, parent first. */
export function categoryPath(spec: string): string[] {
  return spec
    .split('/')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The file name (without folder) of a new article: its slug, or the title's. */
export function articleFileName(title: string, slug?: string): string {
  return `${slugify(slug ?? title)}.md`;
}

export interface NewArticle {
  title: string;
  /** Hierarchies, each parent first (`--category A/B/C` gives one of three levels). */
  categories: string[][];
  now: Date;
  timeZone: string;
}

/** The article's text: YAML front matter that `parseArticle` reads back as given, then a short body. */
export function articleTemplate(a: NewArticle): string {
  const front: Record<string, unknown> = { title: a.title, date: localDateTime(a.now, a.timeZone) };
  const cats = a.categories.filter((c) => c.length);
  if (cats.length === 1) front.categories = cats[0];
  else if (cats.length > 1) front.categories = cats;
  front.tags = [];
  const matter = yaml.dump(front, { schema: yaml.CORE_SCHEMA, lineWidth: -1, flowLevel: 2 });
  return `---\n${matter}---\n\nWrite the article here, in Markdown. Feed readers show its beginning as the summary unless the front matter has a \`description\`.\n\n## A heading\n\nLinks look like [this](https://example.com); raw HTML is allowed and cleaned before it is published.\n`;
}
