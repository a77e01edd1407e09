// CloudFront Function (viewer request) that gives the S3 origin directory indexes, as the local
// server does (README, "Pages"): `/articles/x/` serves `/articles/x/index.html`, and a path whose
// last segment has no extension (`/categories/tech`) redirects to the same path with a slash, so
// that the page's relative links resolve. The default root object only covers `/`.
// Plain ES5.1-compatible JavaScript: it runs in CloudFront's JS 2.0 runtime, not in Node.
export const DIRECTORY_INDEX_SOURCE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.charAt(uri.length - 1) === '/') {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: uri + '/' } } };
  }
  return request;
}`;
