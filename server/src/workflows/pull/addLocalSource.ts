/**
 * `aq pull --add-source NAME`: adds `"NAME": { "kind": "local", "path": DIR }` to the `sources` of
 * aq.json as one inserted line, leaving every other byte of the file (its indentation, order and
 * line ends) as it was. Pure text in, text out; the caller writes the file.
 */
import { parseJsonWithSpans, propertyOf, toPlainValue } from '../send/jsonWithSpans';

export type AddSourceOutcome = { kind: 'added'; text: string } | { kind: 'present' } | { kind: 'problem'; message: string };

/**
 * The aq.json text with the local source added. `present` when a source of that name already
 * reads the same folder; a problem when the name is taken by another source or the file is not an
 * object with a `sources` object.
 */
export function addLocalSourceText(text: string, name: string, path: string, timezone: string | undefined): AddSourceOutcome {
  const parsed = parseJsonWithSpans(text);
  if (!parsed.ok) return { kind: 'problem', message: `aq.json is not valid JSON (${parsed.error.message}); the source "${name}" was not added.` };
  if (parsed.node.type !== 'object') return { kind: 'problem', message: 'aq.json is not a JSON object; the source was not added.' };
  const value: Record<string, string> = { kind: 'local', path };
  if (timezone) value.timezone = timezone;
  const valueText = `{ ${Object.entries(value)
    .map(([key, entry]) => `${JSON.stringify(key)}: ${JSON.stringify(entry)}`)
    .join(', ')} }`;
  const newline = text.includes('\r\n') ? '\r\n' : '\n';

  const sources = propertyOf(parsed.node, 'sources');
  if (!sources) {
    // No "sources" at all: it becomes the object's first property.
    const indent = indentOf(text, parsed.node.properties[0]?.keySpan.start) ?? '  ';
    const open = parsed.node.span.start + 1;
    const rest = parsed.node.properties.length > 0 ? ',' : newline;
    return { kind: 'added', text: `${text.slice(0, open)}${newline}${indent}"sources": { ${JSON.stringify(name)}: ${valueText} }${rest}${text.slice(open)}` };
  }
  if (sources.value.type !== 'object') return { kind: 'problem', message: 'aq.json: "sources" is not an object; the source was not added.' };
  const existing = propertyOf(sources.value, name);
  if (existing) {
    const current = toPlainValue(existing.value) as Record<string, unknown>;
    if (current && current.kind === 'local' && typeof current.path === 'string' && samePath(current.path, path)) return { kind: 'present' };
    return { kind: 'problem', message: `aq.json already has a source named "${name}"; choose another name for --add-source.` };
  }
  const last = sources.value.properties[sources.value.properties.length - 1];
  if (!last) {
    const open = sources.value.span.start + 1;
    const close = sources.value.span.end - 1;
    const outerIndent = indentOf(text, sources.keySpan.start) ?? '';
    return {
      kind: 'added',
      text: `${text.slice(0, open)}${newline}${outerIndent}  ${JSON.stringify(name)}: ${valueText}${newline}${outerIndent}${text.slice(close)}`,
    };
  }
  const indent = indentOf(text, last.keySpan.start);
  const at = last.value.span.end;
  // Sources written on one line (`{ "a": {…}, "b": {…} }`) get the new one on the same line.
  const separator = indent === undefined ? ', ' : `,${newline}${indent}`;
  return { kind: 'added', text: `${text.slice(0, at)}${separator}${JSON.stringify(name)}: ${valueText}${text.slice(at)}` };
}

/** The whitespace before `offset` when it starts its line; undefined when other text precedes it. */
function indentOf(text: string, offset: number | undefined): string | undefined {
  if (offset === undefined) return undefined;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

function samePath(a: string, b: string): boolean {
  const normal = (path: string): string => path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return normal(a) === normal(b);
}
