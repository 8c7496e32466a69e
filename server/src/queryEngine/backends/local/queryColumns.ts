/**
 * Which event properties a query reads, and on which events: the loader reads exactly those out of
 * the lines while it parses them (in the parse workers), so a cold query does not parse the lines
 * of the events it filters or segments a second time on the loading thread.
 */
import { compileExpressionWith } from './evaluateExpression';
import type { Expression } from '../../../languageService/parser/queryAst';
import type { QuerySpec } from '../../../queryContract/querySpec';
import { columnNameOf } from './datasetIndex';
import type { ExtractRequest } from './parseEventChunk';

/** The properties `spec`'s expressions read (not `user[…]`), or undefined when it reads none. */
export function columnsReadBy(spec: QuerySpec): ExtractRequest | undefined {
  const properties = new Set<string>();
  // Undefined once some expression runs over every event.
  let events: Set<string> | undefined = new Set<string>();
  const read = (expression: Expression | undefined, eventNames: string[] | undefined): void => {
    if (!expression) return;
    let reads = false;
    // Compiling visits every property reference once, exactly as the engine will.
    compileExpressionWith(expression, (scope, name) => {
      if (scope !== 'user') {
        properties.add(columnNameOf(scope, name));
        reads = true;
      }
      return () => undefined;
    });
    if (!reads) return;
    if (eventNames === undefined) events = undefined;
    else for (const name of eventNames) events?.add(name);
  };
  switch (spec.kind) {
    case 'segmentation':
      read(spec.where, [spec.event]);
      read(spec.on, [spec.event]);
      break;
    case 'funnel':
      // `where` filters every step's events; `on` is read on the first step's event.
      read(spec.where, spec.steps);
      read(spec.on, spec.steps.slice(0, 1));
      break;
    case 'retention':
      // Compounded retention ignores the born event and its filter; `on` is read on the return event.
      if (spec.retentionType === 'birth') read(spec.bornWhere, [spec.bornEvent]);
      read(spec.on, spec.returnEvent === undefined ? undefined : [spec.returnEvent]);
      read(spec.where, spec.returnEvent === undefined ? undefined : [spec.returnEvent]);
      break;
    default:
      return undefined;
  }
  if (properties.size === 0) return undefined;
  const request: ExtractRequest = { properties: [...properties] };
  if (events) request.events = [...events];
  return request;
}
