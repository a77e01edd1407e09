// The viewer-response CloudFront Function, run in Node on fake responses.
import { describe, expect, it } from 'vitest';
import { FEED_BROWSER_VIEW_SOURCE } from '../../infra/feed-browser-view.js';
import { browserViewType } from '../../src/cli/serve.js';

type Headers = Record<string, { value: string }>;
const handler = new Function(`${FEED_BROWSER_VIEW_SOURCE}; return handler;`)() as (e: {
  request: { headers: Headers };
  response: { statusCode: number; headers: Headers };
}) => { headers: Headers };
const typeFor = (contentType: string, dest?: string) =>
  handler({
    request: { headers: dest ? { 'sec-fetch-dest': { value: dest } } : {} },
    response: { statusCode: 200, headers: { 'content-type': { value: contentType } } },
  }).headers['content-type']!.value;

describe('feed browser view function', () => {
  const cases: [string, string | undefined][] = [
    ['application/rss+xml; charset=utf-8', 'document'],
    ['application/atom+xml; charset=utf-8', 'document'],
    ['application/rss+xml; charset=utf-8', undefined],
    ['application/rss+xml; charset=utf-8', 'empty'],
    ['application/feed+json; charset=utf-8', 'document'],
    ['text/html; charset=utf-8', 'document'],
  ];

  it('gives browser navigations to RSS and Atom an XML type, and nothing else', () => {
    expect(typeFor(cases[0]![0], 'document')).toBe('application/xml; charset=utf-8');
    expect(typeFor(cases[1]![0], 'document')).toBe('application/xml; charset=utf-8');
    expect(typeFor(cases[2]![0])).toBe(cases[2]![0]);
    expect(typeFor(cases[3]![0], 'empty')).toBe(cases[3]![0]);
    expect(typeFor(cases[4]![0], 'document')).toBe(cases[4]![0]);
  });

  it('agrees with the local server', () => {
    for (const [type, dest] of cases) expect(typeFor(type, dest)).toBe(browserViewType(type, dest));
  });
});
