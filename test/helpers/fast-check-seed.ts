// Every fast-check property in the suite runs with one fixed seed, so `npm test` is deterministic;
// FC_SEED=<n> explores other inputs (a failure prints its seed and path to replay it).
import fc from 'fast-check';

fc.configureGlobal({ seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261202 });
