// `syndic`: the command-line shell over the same engine the Lambda function runs.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from './config.js';
import { FEED_FILES } from '../core/layout.js';
import type { Settings } from '../core/settings.js';
import { runBuild, type BuildCommandOptions } from './build-command.js';
import { createServer, listen } from './serve.js';
import { runStart } from './watch.js';

const USAGE = `Usage: syndic <command> [options]

Commands:
  build     Build every feed from a folder of articles into an output folder
  start     build, then serve the output folder on http://127.0.0.1:8080
  serve     Serve an already built output folder
  rebuild   Rebuild state and feeds of an S3 bucket from its content/ (--bucket; the Lambda's rebuild)
  upload    Put article files under content/ of an S3 bucket: syndic upload FILE... [--bucket B]

Options:
  --content DIR      articles folder (default: content)
  --out DIR          output folder (default: public)
  --site-url URL     absolute URL the site is served from (overrides cdk.json)
  --feed-limit N     most items per feed (overrides cdk.json)
  --config FILE      settings file (default: cdk.json, context key "syndic")
  --port N           port for start/serve (default: 8080)
  --host HOST        host for start/serve (default: 127.0.0.1)
  --bucket NAME      S3 bucket for rebuild/upload (default: env SYNDIC_BUCKET, else syndic-dev)
  --endpoint URL     S3 endpoint, e.g. the local server http://127.0.0.1:4569 (default: env
                     AWS_ENDPOINT_URL_S3, else AWS)
  --prefix P         key prefix for upload (default: content/)
  --watch            start: rebuild on every change under the content folder and reload open pages
  --allow-empty      build an empty site when the content folder is missing or holds no article
  --cache-dir DIR    build cache (default: .syndic-cache; safe to delete)
  -h, --help         this help
`;

const OPTIONS = {
  content: { type: 'string', default: 'content' },
  out: { type: 'string', default: 'public' },
  'site-url': { type: 'string' },
  'feed-limit': { type: 'string' },
  config: { type: 'string' },
  port: { type: 'string', default: '8080' },
  host: { type: 'string', default: '127.0.0.1' },
  help: { type: 'boolean', short: 'h' },
  bucket: { type: 'string' },
  endpoint: { type: 'string' },
  prefix: { type: 'string', default: 'content/' },
  watch: { type: 'boolean' },
  'allow-empty': { type: 'boolean' },
  'cache-dir': { type: 'string' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const settings = await loadSettings(process.cwd(), {
    siteUrl: values['site-url'],
    feedLimit: values['feed-limit'],
  }, values.config);

  const buildOptions: BuildCommandOptions = {
    content: String(values.content),
    out: String(values.out),
    allowEmpty: values['allow-empty'],
    ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] } : {}),
    watch: values.watch,
  };
  switch (command) {
    case 'build':
      return runBuild(buildOptions, settings);
    case 'start':
      return runStart({ ...buildOptions, port: Number(values.port), host: String(values.host) }, settings);
    case 'serve': {
      const url = await listen(createServer(path.resolve(values.out)), Number(values.port), values.host);
      console.log(`\nServing ${path.resolve(values.out)} on ${url}/`);
      for (const f of Object.values(FEED_FILES)) console.log(`  ${url}/${f}`);
      console.log(`  ${url}/categories/<category>/.../rss.xml (one folder per category node)\nPress Ctrl+C to stop.`);
      return new Promise<number>(() => {}); // serve until interrupted
    }
    case 'rebuild':
    case 'upload': {
      const { runS3Command } = await import('./s3-commands.js');
      return runS3Command(command, positionals.slice(1), values, settings);
    }
    default:
      console.error(`unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}
