// The CloudFront Function's behaviour, run in Node on fake viewer requests.
import { describe, expect, it } from 'vitest';
import { DIRECTORY_INDEX_SOURCE } from '../../infra/directory-index.js';

type Req = { uri: string; method: string };
const handler = new Function(`${DIRECTORY_INDEX_SOURCE}; return handler;`)() as (e: { request: Req }) => Req | { statusCode: number; headers: Record<string, { value: string }> };
const run = (uri: string) => handler({ request: { uri, method: 'GET' } });

describe('directory index function', () => {
  it('serves index.html for a path ending in a slash', () => {
    expect(run('/')).toMatchObject({ uri: '/index.html' });
    expect(run('/articles/2024/hello/')).toMatchObject({ uri: '/articles/2024/hello/index.html' });
    expect(run('/articles/a%20b/%E4%B8%AD/')).toMatchObject({ uri: '/articles/a%20b/%E4%B8%AD/index.html' });
  });

  it('leaves files alone', () => {
    for (const uri of ['/rss.xml', '/atom.xml', '/feed.json', '/feeds.opml', '/categories/tech/rss.xml', '/rss.xsl']) expect(run(uri)).toMatchObject({ uri });
  });

  it('redirects a directory without its slash', () => {
    expect(run('/categories/tech')).toEqual({ statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/categories/tech/' } } });
  });
});
