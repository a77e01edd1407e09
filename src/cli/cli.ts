// `syndic`: the command-line shell over the same engine the Lambda function runs. Parsing, help,
// `help [command]`, `--version` and "did you mean" suggestions come from commander; every failure
// becomes one line `error: <what>, <what to do>` and a documented exit code (EXIT in src/errors.ts):
// 0 ok, 1 articles rejected, 2 usage or configuration, 3 I/O. `--debug` or SYNDIC_DEBUG=1 adds the stack.
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEPLOYMENT_KEY, FEED_FILES } from '../core/layout.js';
import { closest, isLoopbackUrl, type Settings } from '../core/settings.js';
import { ConfigError, EXIT, IoError, SyndicError, UsageError } from '../errors.js';
import { ownPackage } from '../package.js';
import { runBuild } from './build-command.js';
import { CONFIG_FILE, loadConfig } from './config.js';
// The other commands' modules are loaded by their command: `syndic build` does not load the server,
// the article parser behind `check`, or the scaffolding behind `new` (nor their packages).

const VERSION = ownPackage()?.version ?? 'unknown';

// ---------------------------------------------------------------- option values

function portNumber(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free port).');
  return n;
}

function positiveInt(raw: string): string {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return raw;
}

function positiveSeconds(raw: string): string {
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(Number(raw) > 0)) throw new InvalidArgumentError('expected a number of seconds above 0, e.g. 2 or 0.5.');
  return raw;
}

function keyValue(raw: string, previous: string[] = []): string[] {
  if (!/^[^=]+=/.test(raw)) throw new InvalidArgumentError('expected KEY=VALUE, e.g. --set title="My feeds".');
  return [...previous, raw];
}

function collect(raw: string, previous: string[] = []): string[] {
  return [...previous, raw];
}

const FLAG_FOR: Record<string, string> = { siteUrl: '--site-url', feedLimit: '--feed-limit' };

/** Settings from the config file, SYNDIC_* variables and this command's flags, in that order. */
async function settingsFor(cmd: Command): Promise<Settings> {
  const o = cmd.optsWithGlobals<{ config?: string; siteUrl?: string; feedLimit?: string; set?: string[] }>();
  const flags: Record<string, unknown> = {};
  for (const kv of o.set ?? []) {
    const i = kv.indexOf('=');
    flags[kv.slice(0, i).trim()] = kv.slice(i + 1);
  }
  if (o.siteUrl !== undefined) flags.siteUrl = o.siteUrl;
  if (o.feedLimit !== undefined) flags.feedLimit = o.feedLimit;
  const { settings } = await loadConfig(process.cwd(), {
    ...(o.config !== undefined ? { configFile: o.config } : {}),
    env: process.env,
    flags,
    flagName: (key) => FLAG_FOR[key] ?? `--set ${key}=…`,
  });
  return settings;
}

/** `--production`: a loopback siteUrl would publish feeds whose links reach nobody. */
export function refuseLoopback(settings: Settings): void {
  if (isLoopbackUrl(settings.siteUrl))
    throw new ConfigError(
      `siteUrl ${settings.siteUrl} is a loopback address and --production needs the public URL`,
      `set siteUrl in ${CONFIG_FILE}, SYNDIC_SITE_URL or --site-url https://feeds.example.com`,
    );
}

// ---------------------------------------------------------------- serving

async function serveFolder(dir: string, port: number, host: string, rejected: boolean): Promise<never> {
  const abs = path.resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (!st?.isDirectory())
    throw new UsageError(`output folder ${dir} ${st ? 'is not a folder' : 'does not exist'}, nothing to serve`, 'build it first with syndic build, or pass the built folder with --out DIR');
  let url: string;
  try {
    const { createServer, listen } = await import('./serve.js');
    url = await listen(createServer(abs), port, host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new IoError(`port ${port} on ${host} is already in use`, 'stop the other server, or pick another port with --port N (--port 0 picks a free one)');
    if (code === 'EACCES') throw new IoError(`port ${port} on ${host} needs privileges`, 'use a port above 1023 with --port N');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on host ${host} (${code})`, 'pass an address of this machine with --host, e.g. 127.0.0.1');
    throw e;
  }
  console.log(`\nServing ${abs} on ${url}/`);
  for (const f of Object.values(FEED_FILES)) console.log(`  ${url}/${f}`);
  console.log(`  ${url}/categories/<category>/.../rss.xml (one folder per category node)\nPress Ctrl+C to stop.`);
  if (rejected) console.error('Some articles were rejected (see above); the others are served.');
  return new Promise<never>(() => {}); // serve until interrupted
}

// ---------------------------------------------------------------- the program

const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

function settingsOptions(cmd: Command): Command {
  return cmd
    .option('--site-url <url>', 'absolute URL the site is served from (setting siteUrl)')
    .option('--feed-limit <n>', 'most items per feed (setting feedLimit)', positiveInt)
    .option('--set <key=value>', 'any other setting, e.g. --set timezone=Asia/Shanghai (repeatable)', keyValue);
}

function s3Options(cmd: Command): Command {
  return cmd
    .option('--bucket <name>', 'S3 bucket (default: $SYNDIC_BUCKET, else syndic-dev)')
    .option('--endpoint <url>', 'S3 endpoint, e.g. the local server http://127.0.0.1:4569 (default: $AWS_ENDPOINT_URL_S3, else AWS)');
}

/** Builds the command tree; `done(code)` receives the exit code of the command that ran. */
function program(done: (code: number) => void): Command {
  const root = new Command('syndic')
    .description('Markdown articles in, RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds and pages out: locally or on S3 + Lambda.')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--config <file>', `settings file (default: ${CONFIG_FILE} in the current folder)`)
    .option('--debug', 'print the stack of an error (also SYNDIC_DEBUG=1)')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    // Commands throw instead of exiting, and print nothing themselves: report() writes one line.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .addHelpText(
      'after',
      `\nExit codes: 0 ok, 1 some articles were rejected, 2 usage or configuration error, 3 I/O error.` +
        `\nSettings: ${CONFIG_FILE} < SYNDIC_* environment variables < flags. Run syndic help <command> for its options.\n` +
        examples(['syndic new "Hello world" --category "Tech/Web/CSS"', 'syndic start', 'syndic build --production --site-url https://feeds.example.com']),
    );

  const content = () => new Option('--content <dir>', 'folder of articles').default('content');
  const out = () => new Option('--out <dir>', 'output folder').default('public');
  const allowEmpty = () => new Option('--allow-empty', 'accept a content folder without articles');
  const cacheDir = () => new Option('--cache-dir <dir>', 'build cache (default: .syndic-cache; safe to delete, but it also keeps when each article without a date was first seen)');

  settingsOptions(
    root
      .command('build')
      .description('build every feed and page from a folder of articles into an output folder')
      .addOption(content())
      .addOption(out())
      .addOption(allowEmpty())
      .addOption(cacheDir())
      .option('--production', 'refuse a loopback siteUrl (127.0.0.1, localhost, [::1])'),
  )
    .addHelpText('after', examples(['syndic build', 'syndic build --content articles --out site', 'syndic build --production --site-url https://feeds.example.com']))
    .action(async (o: { content: string; out: string; allowEmpty?: boolean; cacheDir?: string; production?: boolean }, cmd: Command) => {
      const settings = await settingsFor(cmd);
      if (o.production) refuseLoopback(settings);
      const options = { content: o.content, out: o.out, allowEmpty: !!o.allowEmpty, watch: false, ...(o.cacheDir !== undefined ? { cacheDir: o.cacheDir } : {}) };
      done(await runBuild(options, settings));
    });

  settingsOptions(
    root
      .command('start')
      .description('build, then serve the output folder on http://127.0.0.1:8080')
      .addOption(content())
      .addOption(out())
      .addOption(allowEmpty())
      .addOption(cacheDir())
      .option('--port <n>', 'port (0 picks a free one)', portNumber, 8080)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--watch', 'rebuild when an article changes'),
  )
    .addHelpText('after', examples(['syndic start', 'syndic start --port 0', 'syndic start --watch --content articles']))
    .action(async (o: { content: string; out: string; allowEmpty?: boolean; cacheDir?: string; port: number; host: string; watch?: boolean }, cmd: Command) => {
      const settings = await settingsFor(cmd);
      const options = { content: o.content, out: o.out, allowEmpty: !!o.allowEmpty, watch: !!o.watch, ...(o.cacheDir !== undefined ? { cacheDir: o.cacheDir } : {}) };
      // --watch: build, serve, and rebuild + reload pages on every change (src/cli/watch.ts).
      if (o.watch) return done(await (await import('./watch.js')).runStart({ ...options, port: o.port, host: o.host }, settings));
      const status = await runBuild(options, settings);
      if (status >= EXIT.usage) return done(status); // the build failed (its error is printed): nothing to serve
      await serveFolder(o.out, o.port, o.host, status !== 0);
    });

  root
    .command('serve')
    .description('serve an already built output folder')
    .addOption(out())
    .option('--port <n>', 'port (0 picks a free one)', portNumber, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addHelpText('after', examples(['syndic serve', 'syndic serve --out site --port 3000']))
    .action(async (o: { out: string; port: number; host: string }) => {
      await serveFolder(o.out, o.port, o.host, false);
    });

  settingsOptions(
    root
      .command('new')
      .description('write a new article, dated now in the configured time zone, into the content folder')
      .argument('<title>', 'the article title (the file name is its slug)')
      .option('--category <A/B/C>', 'category hierarchy, parent first (repeatable for several)', collect)
      .option('--slug <name>', 'file name without .md (default: from the title)')
      .addOption(content()),
  )
    .addHelpText('after', examples(['syndic new "Hello world"', 'syndic new "CSS grid in practice" --category "Tech/Web/CSS"', 'syndic new "你好" --slug hello --category 随笔']))
    .action(async (title: string, o: { category?: string[]; slug?: string; content: string }, cmd: Command) => {
      const settings = await settingsFor(cmd);
      const file = await (await import('./new-command.js')).runNew({ title, categories: o.category ?? [], content: o.content, ...(o.slug !== undefined ? { slug: o.slug } : {}) }, settings);
      console.log(`created ${file}\nEdit it, then run syndic check, or syndic start to see it in the feeds.`);
      done(EXIT.ok);
    });

  settingsOptions(
    root
      .command('check')
      .description('parse and clean every article as a build would, report, and write nothing')
      .addOption(content())
      .addOption(allowEmpty()),
  )
    .addHelpText('after', examples(['syndic check', 'syndic check --content articles']))
    .action(async (o: { content: string; allowEmpty?: boolean }, cmd: Command) => {
      done(await (await import('./check.js')).runCheck({ content: o.content, allowEmpty: !!o.allowEmpty }, await settingsFor(cmd)));
    });

  settingsOptions(s3Options(
    root
      .command('upload')
      .description('put article files (or folders of them) under content/ of an S3 bucket, keeping their folders')
      .argument('<files...>', 'article files or folders')
      .option('--prefix <p>', 'key prefix', 'content/')
      .addOption(new Option('--content <dir>', 'local content folder: a file inside keeps its path below it').default('content')),
  ))
    .addHelpText(
      'after',
      '\nKeys: a file inside the content folder keeps its path below it (content/2024/hello.md → content/2024/hello.md);' +
        '\nelse a relative path inside the current folder is kept as typed (2024/hello.md → content/2024/hello.md);' +
        '\nelse (absolute, or through ..) only the file name is kept.\n' +
        examples(['syndic upload content/2024/hello.md --bucket my-bucket', 'syndic upload content --bucket my-bucket']),
    )
    .action(async (files: string[], o: Record<string, unknown>, cmd: Command) => {
      const { runS3Command } = await import('./s3-commands.js');
      done(await runS3Command('upload', files, o, await settingsFor(cmd)));
    });

  settingsOptions(
    s3Options(root.command('rebuild').description("rebuild state and feeds of an S3 bucket from its content/ (on the stack's Step Functions state machine, or in this process)"))
      .option(
        '--state-machine <arn>',
        'start and follow an execution of this rebuild state machine (the RebuildStateMachineArn output; default: $SYNDIC_REBUILD_STATE_MACHINE, else the one recorded in the bucket)',
      )
      .option('--in-process', 'rebuild in this process even when the bucket names a deployed state machine')
      .option('--poll <seconds>', 'seconds between progress checks of a state machine execution (default 2)', positiveSeconds),
  )
    .addHelpText(
      'after',
      `\nWhere it runs: a deployed stack writes ${DEPLOYMENT_KEY} in its bucket ({ stateMachineArn, region, bucket });` +
        '\nwhen it is there, the rebuild runs on that state machine (a Distributed Map over content/, then the reduce)' +
        '\nand this command prints its progress (articles done/total, failures) until it ends; exit 0 when it succeeded,' +
        '\n3 when it failed, timed out or was aborted. Without it (a local S3 server, a bucket without the stack), or with' +
        '\n--in-process, the same start, map and reduce steps run in this process. Needs states:StartExecution,' +
        '\nstates:DescribeExecution, states:ListMapRuns and states:DescribeMapRun for the state machine.\n' +
        examples([
          'syndic rebuild --bucket my-bucket',
          'syndic rebuild --bucket my-bucket --state-machine arn:aws:states:us-east-1:123456789012:stateMachine:Rebuild',
          'syndic rebuild --bucket my-bucket --in-process',
          'syndic rebuild --bucket syndic-dev --endpoint http://127.0.0.1:4569',
        ]),
    )
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const { runRebuildCommand } = await import('./s3-commands.js');
      done(await runRebuildCommand(o, () => settingsFor(cmd)));
    });

  settingsOptions(s3Options(root.command('reconcile').description('compare a bucket with its content/ and repair what differs')))
    .addHelpText('after', examples(['syndic reconcile --bucket my-bucket']))
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const { runReconcile } = await import('./s3-commands.js');
      done(await runReconcile(o, await settingsFor(cmd)));
    });

  root
    .command('help')
    .description('show help for a command')
    .argument('[command]', 'the command')
    .action((name: string | undefined) => {
      if (name === undefined) {
        root.outputHelp();
        return done(EXIT.ok);
      }
      const cmd = root.commands.find((c) => c.name() === name);
      if (!cmd) {
        const near = closest(name, root.commands.map((c) => c.name()));
        throw new UsageError(`unknown command ${name}`, near ? `did you mean ${near}?` : 'run syndic help for the list');
      }
      cmd.outputHelp();
      done(EXIT.ok);
    });

  // A command's error says which command failed.
  for (const cmd of root.commands)
    cmd.exitOverride((err) => {
      throw Object.assign(err, { command: cmd.name() });
    });
  return root;
}

// ---------------------------------------------------------------- errors

const DEBUG = /^(1|true)$/i;

/** Prints an error as one line (and the stack with --debug); returns the exit code. */
function report(e: unknown, debug: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage; // `syndic` alone
    const [first = '', ...rest] = e.message.replace(/^error: /, '').split('\n');
    const near = /\(Did you mean (.+)\?\)/.exec(rest.join(' '));
    const command = (e as { command?: string }).command;
    const help = command ? `syndic ${command} --help` : 'syndic --help';
    console.error(`error: ${first.replace(/\.$/, '')}${command ? ` (syndic ${command})` : ''}, ${near ? `did you mean ${near[1]}?` : `see ${help}`}`);
    return EXIT.usage;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  let code: number;
  let line: string;
  if (err instanceof SyndicError) {
    code = err.exitCode;
    line = `${err.message}${err.hint ? `, ${err.hint}` : ''}`;
  } else if (typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z_]+$/.test((err as NodeJS.ErrnoException).code!)) {
    code = EXIT.io; // a file system or network error
    const network = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test((err as NodeJS.ErrnoException).code!);
    line = `${err.message}, ${network ? 'check --endpoint and the network' : 'check the path, its permissions and free space'}`;
  } else if ('$metadata' in err) {
    code = EXIT.io; // an AWS SDK error: the bucket, the endpoint or the credentials
    line = `${err.name}: ${err.message}, check --bucket, --endpoint and the AWS credentials`;
  } else {
    code = 1;
    line = `${err.message} (unexpected), run again with --debug and report the stack`;
  }
  console.error(`error: ${line.replace(/\s*\n\s*/g, ' ')}`);
  if (debug && err.stack) console.error(err.stack);
  return code;
}

/** Runs one command line; returns its exit code (a server keeps the promise pending until interrupted). */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || DEBUG.test(process.env.SYNDIC_DEBUG ?? '');
  // The SDK warns that its releases after January 2027 need Node 22; this package supports Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return report(e, debug);
  }
}
