// splitFrontMatter (src/core/article.ts) splits front matter from the body as gray-matter 4.0.3 did
// when parseArticle called it with YAML as the only engine: the same data, the same body, the same
// YAML errors, on every corpus article and on generated texts (fixed seed) shaped to reach its
// edges: language names, comment-only blocks, a `---` line missing or glued to text, CR and blank lines.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import matter from 'gray-matter';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { splitFrontMatter } from '../../src/core/article.js';
import { CORPUS_DIR } from '../helpers/feeds.js';

// The options parseArticle passed to gray-matter before splitFrontMatter replaced it.
const refuse = () => () => {
  throw new Error('not YAML');
};
const OPTIONS = {
  language: 'yaml',
  engines: { yaml: (s: string) => yaml.load(s, { schema: yaml.CORE_SCHEMA }) as object, js: refuse(), javascript: refuse(), json: refuse(), toml: refuse() },
};

function outcome(f: () => { data: unknown; content: string }): unknown {
  try {
    const { data, content } = f();
    return { data, content };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function same(text: string): void {
  expect(outcome(() => splitFrontMatter(text))).toEqual(outcome(() => matter(text, OPTIONS) as unknown as { data: unknown; content: string }));
}

describe('splitFrontMatter', () => {
  it('splits every corpus article as gray-matter did', () => {
    const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.md'));
    expect(files.length).toBeGreaterThanOrEqual(90);
    for (const f of files) {
      // As parseArticle hands it over: line feeds only, leading blank lines gone.
      const text = readFileSync(path.join(CORPUS_DIR, f), 'utf8').replace(/\r\n?/g, '\n').replace(/^(?:[ \t]*\n)*/, '');
      same(text);
    }
  });

  it('splits generated texts as gray-matter did', () => {
    const line = fc.constantFrom(
      'title: Hello', 'date: 2022-04-02 20:47:38', '# a comment', '  # indented comment', '', '   ', 'tags: [a, b]', 'categories:', '  - 金融',
      'bad: [unclosed', 'key: "a: b"', '---', '--- ', '---x', '----', '...', 'excerpt_separator: <!-- more -->', 'body text', '<p>html</p>', 'a: 1\r',
    );
    const text = fc
      .tuple(fc.constantFrom('---', '--- ', '---yaml', '--- YAML ', '---Yaml', '---\t', '----'), fc.array(line, { maxLength: 12 }), fc.boolean(), fc.array(line, { maxLength: 6 }), fc.constantFrom('', '\n', '\r\n'))
      .map(([open, head, close, body, end]) => [open, ...head, ...(close ? ['---'] : []), ...body].join('\n') + end);
    // What parseArticle hands over: an opening line that ends, naming YAML or nothing.
    const accepted = (t: string) => {
      const m = /^---([^\n]*)\n/.exec(t);
      return m !== null && ['', 'yaml'].includes(m[1]!.trim().toLowerCase());
    };
    fc.assert(
      fc.property(text, (t) => {
        fc.pre(accepted(t));
        same(t);
      }),
      { seed: 20261202, numRuns: 2000 },
    );
  });
});
