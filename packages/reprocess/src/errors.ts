// Errors that end a run with a documented exit code.

/** Bad input or configuration: nothing was sent. Exit code 2. */
export class InputError extends Error {
  readonly exitCode = 2;
  override name = 'InputError';
}

/** Database, server or authentication unreachable or refused. Exit code 3. */
export class UnreachableError extends Error {
  readonly exitCode = 3;
  override name = 'UnreachableError';
}
