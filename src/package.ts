// Syndic's own package.json, found from this module's location: src/ in a checkout, dist/ in an
// installed package, or a bundle under node_modules/.cache/syndic/ (scripts/cli-bundle.mjs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
}

let found: PackageJson | null | undefined;

/** The nearest package.json named `syndic` above this module; null when there is none. */
export function ownPackage(): PackageJson | null {
  if (found !== undefined) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
      if (pkg.name === 'syndic') return (found = pkg);
    } catch {
      // none here (or unreadable): look further up
    }
    const up = path.dirname(dir);
    if (up === dir) return (found = null);
    dir = up;
  }
}
