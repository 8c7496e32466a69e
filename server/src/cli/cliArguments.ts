/**
 * The command line shape every `aq` command shares: one FILE and named options, some taking a
 * value (`--query TITLE`), some flags (`--once`), with short aliases. Each command checks the
 * values' meaning itself; this only gets the shape right and says what is wrong in one line.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliIo } from './cliIo';

export interface OptionSpec {
  /** `-q` and the like. */
  alias?: string;
  /** What the value is, for "--query needs a title or a number"; absent for a flag. */
  value?: string;
  /** May be given more than once; every value is kept in `lists`. */
  repeatable?: boolean;
}

export interface ParsedArguments<Name extends string> {
  file: string;
  /** Option values by name (without the dashes); flags are `true` when given. */
  options: Partial<Record<Name, string | true>>;
  /** Every value of a repeatable option, in order. */
  lists: Partial<Record<Name, string[]>>;
}

export function parseCliArguments<Name extends string>(args: readonly string[], spec: Record<Name, OptionSpec>): ParsedArguments<Name> | string {
  const byName = new Map<string, [Name, OptionSpec]>();
  for (const [name, option] of Object.entries(spec) as Array<[Name, OptionSpec]>) {
    byName.set(`--${name}`, [name, option]);
    if (option.alias) byName.set(option.alias, [name, option]);
  }
  let file: string | undefined;
  const options: Partial<Record<Name, string | true>> = {};
  const lists: Partial<Record<Name, string[]>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const known = byName.get(arg);
    if (known) {
      const [name, option] = known;
      if (option.value === undefined) {
        options[name] = true;
        continue;
      }
      const value = args[++i];
      if (value === undefined) return `--${name} needs ${option.value}`;
      options[name] = value;
      if (option.repeatable) (lists[name] ??= []).push(value);
    } else if (arg.startsWith('-')) {
      return `unknown option ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return `one FILE only (got "${file}" and "${arg}")`;
    }
  }
  if (file === undefined) return 'missing FILE';
  return { file, options, lists };
}

/** The FILE argument as an absolute path, or undefined after telling the user it does not exist. */
export function existingInputFile(command: string, file: string, io: CliIo): string | undefined {
  const path = resolve(io.cwd, file);
  if (existsSync(path)) return path;
  io.stderr(`aq ${command}: ${file}: no such file\n`);
  return undefined;
}
