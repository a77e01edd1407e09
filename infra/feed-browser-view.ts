// CloudFront Function (viewer response): browsers show application/rss+xml and application/atom+xml
// as plain text and apply the feed's XSL stylesheet only to an XML type. A browser navigation
// (Sec-Fetch-Dest: document, which feed readers never send) gets application/xml, so a person who
// opens a feed URL sees the styled page; readers keep the feed's own type. The local server does
// the same (src/cli/serve.ts browserViewType). The cache is untouched: only this response's header.
// Plain ES5.1-compatible JavaScript: it runs in CloudFront's JS 2.0 runtime, not in Node.
export const FEED_BROWSER_VIEW_SOURCE = `function handler(event) {
  var response = event.response;
  var dest = event.request.headers['sec-fetch-dest'];
  var type = response.headers['content-type'];
  if (dest && dest.value === 'document' && type && /^application\\/(rss|atom)\\+xml/.test(type.value)) {
    response.headers['content-type'] = { value: 'application/xml; charset=utf-8' };
  }
  return response;
}`;
