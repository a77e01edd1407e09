// Builds the Syndic stack for the infra tests: the repo's syndic.config.json and cdk.json context plus overrides, in a
// throwaway output folder, bundled with the local esbuild.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { CONFIG_CONTEXT } from '../../infra/config.js';
import { buildApp, type SyndicStack } from '../../infra/stack.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The site settings of the repo's syndic.config.json. */
export function repoSettings(): Record<string, unknown> {
  const { deploy: _deploy, ...settings } = JSON.parse(readFileSync(path.join(ROOT, 'syndic.config.json'), 'utf8')) as Record<string, unknown>;
  return settings;
}

/** cdk.json's context, with the repo's syndic.config.json as infra/app.ts passes it (no SYNDIC_* variables). */
export function cdkJsonContext(): Record<string, unknown> {
  const { deploy = {}, ...settings } = JSON.parse(readFileSync(path.join(ROOT, 'syndic.config.json'), 'utf8')) as Record<string, unknown>;
  const context = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  return { [CONFIG_CONTEXT]: { file: 'syndic.config.json', settings, deploy }, ...context };
}

export interface Synthesized {
  app: App;
  stack: SyndicStack;
  template: Template;
  outdir: string;
  /** The CloudFormation logical id of a construct (or of its default child). */
  logicalId(c: IConstruct): string;
  dispose(): void;
}

export function synth(overrides: Record<string, unknown> = {}, nag = false): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'syndic-cdk-'));
  const { app, stack } = buildApp({ nag, outdir, context: { ...cdkJsonContext(), ...overrides } });
  const template = Template.fromStack(stack);
  const logicalId = (c: IConstruct) => stack.resolve(stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement)) as string;
  return { app, stack, template, outdir, logicalId, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}
