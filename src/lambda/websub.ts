// WebSub (W3C): tells the hub which feeds changed, so subscribers get pushes instead of polling.
import type { Logger } from '../log.js';

/**
 * POSTs `hub.mode=publish&hub.url=<feed>` once per changed feed URL. A hub that is down or refuses is
 * logged, never fatal: the feeds are already published and subscribers will poll them.
 */
export async function notifyHub(hub: string, feedUrls: readonly string[], log: Logger): Promise<number> {
  if (!hub) return 0;
  let sent = 0;
  for (const url of [...new Set(feedUrls)]) {
    try {
      const res = await fetch(hub, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': url }).toString(),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (res.status >= 300) log('warn', 'websub hub refused publish', { hub, url, status: res.status });
      else sent++;
    } catch (e) {
      log('warn', 'websub hub unreachable', { hub, url, error: (e as Error).message });
    }
  }
  return sent;
}

/** The public URL of a file under the public root (each path segment percent-encoded, as feedMeta does). */
export function feedUrl(settings: { siteUrl: string }, publicPath: string): string {
  return `${settings.siteUrl}/${publicPath.split('/').map(encodeURIComponent).join('/')}`;
}
