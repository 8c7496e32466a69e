/**
 * What a CLI command may touch of its process: output streams, the working directory and the
 * environment. Commands take it as a parameter so tests can run them without a child process.
 */
import { credentialForms, maskCredentialForms } from '../queryEngine/credentialMasking';
import { secretMaterialFromEnv } from '../queryEngine/credentialsFromEnv';

export interface CliIo {
  /** Writes to standard output as is (callers add line ends). */
  stdout(text: string): void;
  /** Writes to standard error as is (callers add line ends). */
  stderr(text: string): void;
  /** The directory relative paths on the command line resolve against. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The same io with every form of every secret in its environment masked in what it writes: the
 * last line of defence behind the masking of each response, for text no backend anticipated.
 */
export function withMaskedOutput(io: CliIo): CliIo {
  const forms = credentialForms(secretMaterialFromEnv(io.env));
  if (forms.length === 0) return io;
  return { ...io, stdout: (text) => io.stdout(maskCredentialForms(text, forms)), stderr: (text) => io.stderr(maskCredentialForms(text, forms)) };
}

/** The real process's streams, directory and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * What happens when standard output cannot take more. A reader that closed early (`aq run … | head -1`)
 * is not an error: like other command-line tools, aq stops quietly with status 0. A full disk or
 * another write failure is said in one line on standard error, with status 2, instead of a stack trace.
 */
export function handleOutputErrors(stream: NodeJS.WriteStream, errorStream: NodeJS.WriteStream, exit: (code: number) => void): void {
  let handled = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (handled) return;
    handled = true;
    if (error.code === 'EPIPE') return exit(0);
    const reason = error.code === 'ENOSPC' ? 'no space left on the device (ENOSPC)' : error.message;
    try {
      errorStream.write(`aq: cannot write the output: ${reason}\n`);
    } catch {
      // Standard error is gone too: the exit status still tells.
    }
    exit(2);
  });
}
