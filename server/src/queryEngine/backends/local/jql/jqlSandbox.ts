'use strict';
/**
 * Runs one JQL script in a fresh `node:vm` context that holds only the JQL globals and the
 * standard built-ins. The context cannot compile strings (no eval, no Function('…')), its global
 * has a null prototype, and the API is evaluated inside it (see jqlApi.ts), so no object the script
 * can reach belongs to the host realm. Synchronous loops, including those inside callbacks, are cut
 * by runInContext's `timeout`; the worker's resource limits and the host's timer are the backstops.
 *
 * Anything the script throws is described by code inside the sandbox, under the time limit: the
 * host never reads a property of a thrown value, which could be a getter or a Proxy.
 */
import { parse } from 'acorn';
import { types } from 'node:util';
import * as vm from 'node:vm';
import {
  DESCRIBE_ERROR_GLOBAL,
  installJqlApi,
  PENDING_ERROR_GLOBAL,
  RUN_FAILED,
  RUN_MAIN_GLOBAL,
  RUN_SUCCEEDED,
  SCRIPT_FILENAME,
  type JqlHostData,
  type JqlScriptError,
} from './jqlApi';

export type SandboxOutcome =
  /** The JSON text of what main() returned (a collection as its array of items). */
  { ok: true; outputJson: string } | { ok: false; reason: 'timeout' } | { ok: false; reason: 'script'; message: string };

/**
 * The API as source text for the sandbox. Bundlers that keep function names wrap inner functions
 * in a `__name(fn, "name")` helper defined outside the function; the sandbox gets a harmless stand-in.
 */
const apiSource = `(function () { var __name = function (target) { return target; }; return (${installJqlApi.toString()}); })()`;

export function runInSandbox(options: { script: string; params: Record<string, unknown>; data: JqlHostData; timeoutMs: number }): SandboxOutcome {
  const syntaxError = findSyntaxError(options.script);
  if (syntaxError) return { ok: false, reason: 'script', message: syntaxError };

  const context = vm.createContext(Object.create(null), {
    name: 'JQL script',
    codeGeneration: { strings: false, wasm: false },
    // Promise callbacks run before runInContext returns, so they are under the time limit too.
    microtaskMode: 'afterEvaluate',
  });
  const install = vm.runInContext(apiSource, context) as typeof installJqlApi;
  install(options.data, JSON.stringify(options.params ?? {}));

  const deadline = Date.now() + options.timeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  try {
    new vm.Script(options.script, { filename: SCRIPT_FILENAME }).runInContext(context, { timeout: remaining() });
  } catch (error) {
    if (isTimeout(error)) return { ok: false, reason: 'timeout' };
    if (isHostError(error)) return hostFailure(error);
    (context as Record<string, unknown>)[PENDING_ERROR_GLOBAL] = error;
    const described = runEntry(context, `${DESCRIBE_ERROR_GLOBAL}()`, remaining());
    if (typeof described !== 'string') return described;
    return { ok: false, reason: 'script', message: formatScriptError(JSON.parse(described) as JqlScriptError) };
  }
  const answer = runEntry(context, `${RUN_MAIN_GLOBAL}()`, remaining());
  if (typeof answer !== 'string') return answer;
  if (answer.startsWith(RUN_SUCCEEDED)) return { ok: true, outputJson: answer.slice(RUN_SUCCEEDED.length) };
  if (answer.startsWith(RUN_FAILED))
    return { ok: false, reason: 'script', message: formatScriptError(JSON.parse(answer.slice(RUN_FAILED.length)) as JqlScriptError) };
  return brokenEntryPoint();
}

/** Calls one of the API's entry points; it returns JSON text unless the script broke the entry point. */
function runEntry(context: vm.Context, code: string, timeout: number): string | SandboxOutcome {
  try {
    const text: unknown = vm.runInContext(code, context, { timeout });
    if (typeof text === 'string') return text;
  } catch (error) {
    if (isTimeout(error)) return { ok: false, reason: 'timeout' };
    if (isHostError(error)) return hostFailure(error);
  }
  return brokenEntryPoint();
}

function brokenEntryPoint(): SandboxOutcome {
  return { ok: false, reason: 'script', message: 'The script replaced a JQL built-in that the runtime needs' };
}

function hostFailure(error: Error): SandboxOutcome {
  return { ok: false, reason: 'script', message: `The JQL runtime failed: ${error.message}` };
}

/**
 * The vm's timeout error. It is made in the sandbox's realm, so only its own data property is read:
 * an inherited getter the script planted on Error.prototype would run outside the time limit.
 */
function isTimeout(error: unknown): boolean {
  if (!types.isNativeError(error)) return false;
  const code = Object.getOwnPropertyDescriptor(error, 'code');
  return code !== undefined && 'value' in code && code.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/**
 * True for errors made by the host realm (the vm's timeout error): native errors whose prototype
 * chain reaches this realm's Error.prototype. Proxies are never walked, so no script code runs here.
 */
function isHostError(error: unknown): error is Error {
  if (!types.isNativeError(error)) return false;
  let prototype: unknown = error;
  for (let depth = 0; depth < 10 && prototype !== null; depth++) {
    if (types.isProxy(prototype)) return false;
    prototype = Object.getPrototypeOf(prototype);
    if (prototype === Error.prototype) return true;
  }
  return false;
}

function findSyntaxError(script: string): string | undefined {
  try {
    parse(script, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
    return undefined;
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    const message = (error as Error).message.replace(/\s*\(\d+:\d+\)$/, '');
    return loc ? `Syntax error at line ${loc.line}, column ${loc.column + 1}: ${message}` : `Syntax error: ${message}`;
  }
}

/** Names a script might reach for to escape; each gets a message that says it is not there by design. */
const UNAVAILABLE = new Set(['require', 'process', 'module', 'exports', 'global', 'Buffer', 'setTimeout', 'setInterval', 'fetch', 'XMLHttpRequest', 'console']);

function formatScriptError(error: JqlScriptError): string {
  const where = error.line !== undefined ? ` (line ${error.line}, column ${error.column})` : '';
  const missing = /^(\S+) is not defined$/.exec(error.message);
  if (error.name === 'ReferenceError' && missing && UNAVAILABLE.has(missing[1])) {
    return `\`${missing[1]}\` is not available in JQL: scripts run without modules, files, network or timers${where}`;
  }
  if (error.name === 'EvalError' && /code generation from strings/i.test(error.message)) {
    return `eval and new Function are not available in JQL${where}`;
  }
  if (error.name === 'MainMissing' || error.name === 'OutputError') return error.message;
  return `${error.name}: ${error.message}${where}`;
}
