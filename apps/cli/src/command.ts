import type { AdminClient } from './admin-client';
import type { ProgressOutput } from './progress';

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** The whole standard input (for --password-stdin). */
  stdin: () => Promise<string>;
  /** Where progress bars go (standard error: standard output stays the result). */
  progress: ProgressOutput;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
}

export interface CommandContext {
  /** The positional arguments after the command's name. */
  args: string[];
  options: Record<string, string | boolean | undefined>;
  api: AdminClient;
  /** The admin endpoints of one edge's HTTP port: `url`, else HERALD_EDGE_URL (same token as api). */
  edge: (url: string | undefined) => AdminClient;
  io: CliIo;
}

/**
 * One command: `herald <group> <name> <args...>` (`name` absent for a group that is one command,
 * such as `herald stats`). Add a command by adding one to a group's list in commands/.
 */
export interface CliCommand {
  group: string;
  name?: string;
  /** Positional arguments as the help shows them: `<user> [deviceId]`. */
  args: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  run(context: CommandContext): Promise<void>;
}

/** Prints an answer as one JSON line (a list: one line per element). */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(JSON.stringify(value));
}
