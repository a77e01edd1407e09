// `cdk` entry point (cdk.json: "npx tsx infra/app.ts"): reads syndic.config.json and the SYNDIC_*
// variables (infra/config.ts), then synthesizes the stack (stack.ts). A configuration error is one
// line and exit 2, as on the command line; SYNDIC_DEBUG=1 shows its stack.
import { SyndicError } from '../src/errors.js';
import { configContext } from './config.js';
import { buildApp } from './stack.js';

try {
  buildApp({ context: await configContext(process.cwd(), process.env) }).app.synth();
} catch (e) {
  if (!(e instanceof SyndicError) || /^(1|true)$/i.test(process.env.SYNDIC_DEBUG ?? '')) throw e;
  console.error(`error: ${e.message}${e.hint ? `, ${e.hint}` : ''}`);
  process.exit(e.exitCode);
}
