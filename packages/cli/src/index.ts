export { CliErrors } from './errors.ts';
export type { CliIo } from './io.ts';
export { run } from './run.ts';
