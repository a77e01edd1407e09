// Where things live, in the bucket and in a local output folder. Feed URLs are a promise to
// subscribers: change nothing here without a redirect plan.

/** Bucket prefix of the articles that publishers upload. */
export const CONTENT_PREFIX = 'content/';
/** Bucket prefix of the private processed state (never served). */
export const STATE_PREFIX = 'state/';
/** Written by the stack at deploy: `{ stateMachineArn, region, bucket }` of the rebuild state machine (`syndic rebuild` reads it). */
export const DEPLOYMENT_KEY = `${STATE_PREFIX}deployment.json`;
/** Bucket prefix that CloudFront serves; laid out exactly like `syndic build`'s output folder. */
export const PUBLIC_PREFIX = 'public/';

/** File extensions treated as articles. */
export const ARTICLE_EXTENSIONS = ['.md', '.markdown', '.html'] as const;

export const FEED_FILES = { rss: 'rss.xml', atom: 'atom.xml', json: 'feed.json' } as const;
export type FeedFormat = keyof typeof FEED_FILES;

/** An article's id: its path under content/ without the extension, or null if the key is not an article. */
export function articleIdFromPath(relativePath: string): string | null {
  const ext = ARTICLE_EXTENSIONS.find((e) => relativePath.toLowerCase().endsWith(e));
  if (!ext) return null;
  const id = relativePath.slice(0, -ext.length);
  // Hidden files and empty names are not articles (editors leave `.#foo.md` and `.md` behind).
  if (id === '' || id.split('/').some((seg) => seg === '' || seg.startsWith('.'))) return null;
  return id;
}

/** Public path of an article page (issue: pages), relative to the public root. */
export function articlePagePath(id: string): string {
  return `articles/${id}/index.html`;
}
