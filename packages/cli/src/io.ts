/** Where a command writes and what it reads from its environment (process.* by default). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder that relative paths (`--home`) are resolved against. */
  readonly cwd: string;
  /** Whether stdin and stdout are terminals (prompts are shown only then, and only without CI). */
  readonly terminal?: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  };
}
