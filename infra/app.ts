// `cdk` entry point (cdk.json: "npx tsx infra/app.ts"); the stack itself is in stack.ts.
import { buildApp } from './stack.js';

buildApp().app.synth();
