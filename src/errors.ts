// The error classes every shell maps to its own contract: the CLI to exit codes and one-line
// messages, the Lambda handler to "log and drop" (terminal) or "throw, Lambda retries" (retriable).
// Pure: no I/O here.

/** Base class: `exitCode` is what the CLI exits with; `hint` says what to do about it. */
export class SyndicError extends Error {
  readonly exitCode: number = 1;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A wrong command line, a bad flag value, a missing content folder: exit 2. */
export class UsageError extends SyndicError {
  override readonly exitCode = 2;
}

/** A settings file or value that cannot be used: exit 2. */
export class ConfigError extends SyndicError {
  override readonly exitCode = 2;
}

/** A file or folder that cannot be read or written, a port in use: exit 3. */
export class IoError extends SyndicError {
  override readonly exitCode = 3;
}

/**
 * Input that will never succeed however often it is retried (a rejected article, a key too long):
 * the handler records it and moves on instead of failing the batch.
 */
export class TerminalError extends SyndicError {}

/** A transient failure (throttling, a lost conditional-write race past its budget): retry the invocation. */
export class RetriableError extends SyndicError {}

/** The documented exit codes of `syndic`. */
export const EXIT = { ok: 0, rejected: 1, usage: 2, io: 3 } as const;
