/**
 * Lint for event files before they are sent (pure: text in, diagnostics out, no I/O):
 * Mixpanel import events (`*.events.ndjson`, `*.events.json`) and mParticle
 * batches (`*.mparticle.json`), as docs/api-notes.md describes them. JSON syntax, required fields and types, names against the
 * source's schema with "did you mean" fixes, suspicious times, `$insert_id`s, unmatched session
 * ends and request-size limits. Offsets are into the text, as everywhere in the language core.
 */
import type { AnalyticsSchema, QueryDiagnostic, QuickFix, TextSpan } from '../../languageService/analyticsTypes';
import { suggestNames } from '../../languageService/nameMatching';
import { eventFileKindOf, readEventFile, type EventFileKind } from './eventFileFormat';
import { BANNED_IDS, insertIdProblem, stableInsertId } from './insertIds';
import { propertyOf, toPlainValue, type JsonNode } from './jsonWithSpans';
import { MIXPANEL_MAX_EVENTS_PER_REQUEST, MPARTICLE_MAX_BATCHES_PER_REQUEST } from './ingestLimits';

/** Stable codes of the event-file diagnostics (documented with the others in docs/diagnostics.md). */
export const EventFileCode = {
  jsonSyntax: 'json-syntax',
  notAnObject: 'not-an-object',
  missingField: 'missing-field',
  wrongType: 'wrong-type',
  invalidValue: 'invalid-value',
  unknownEvent: 'unknown-event',
  unknownProperty: 'unknown-property',
  unknownField: 'unknown-field',
  timeInFuture: 'time-in-future',
  timeInMilliseconds: 'time-in-milliseconds',
  timeInSeconds: 'time-in-seconds',
  timeTooOld: 'time-too-old',
  missingInsertId: 'missing-insert-id',
  invalidInsertId: 'invalid-insert-id',
  invalidDistinctId: 'invalid-distinct-id',
  sessionEndWithoutStart: 'session-end-without-start',
  tooManyEvents: 'too-many-events',
  tooManyBatches: 'too-many-batches',
} as const;

export interface EventFileLintOptions {
  /** The destination's schema, for event and property names; no name checks without it. */
  schema?: AnalyticsSchema;
  /** Milliseconds since the epoch; injected for tests. */
  now?: number;
}

/** Mixpanel rejects events more than an hour ahead of its clock. */
const FUTURE_TOLERANCE_MS = 60 * 60_000;
const EPOCH_1971_S = Date.parse('1971-01-01T00:00:00Z') / 1000;
/** Larger epoch values than this are milliseconds (1e11 s is the year 5138). */
const MILLISECONDS_THRESHOLD = 1e11;
/** Properties Mixpanel itself defines or reads; never "unknown". */
const MIXPANEL_BUILT_IN = new Set(['time', 'distinct_id', '$insert_id', 'token', 'ip', '$device_id', '$user_id']);

const MPARTICLE_BATCH_FIELDS = [
  'environment',
  'user_identities',
  'user_attributes',
  'deleted_user_attributes',
  'device_info',
  'application_info',
  'events',
  'source_request_id',
  'ip',
  'mpid',
  'consent_state',
  'context',
  'schema_version',
  'timestamp_unixtime_ms',
  'batch_id',
  'mp_deviceid',
  'integration_attributes',
  'partner_identity',
];
const MPARTICLE_ENVIRONMENTS = ['production', 'development', 'unknown'];
const MPARTICLE_IDENTITIES = [
  'customer_id',
  'email',
  'other',
  'other_id_2',
  'other_id_3',
  'other_id_4',
  'other_id_5',
  'other_id_6',
  'other_id_7',
  'other_id_8',
  'other_id_9',
  'other_id_10',
  'facebook',
  'twitter',
  'google',
  'microsoft',
  'yahoo',
  'alias',
  'facebook_custom_audience_id',
  'mobile_number',
  'phone_number_2',
  'phone_number_3',
];
const MPARTICLE_EVENT_TYPES = [
  'custom_event',
  'commerce_event',
  'session_start',
  'session_end',
  'screen_view',
  'uninstall',
  'crash_report',
  'opt_out',
  'push_registration',
  'application_state_transition',
  'push_message',
  'network_performance',
  'breadcrumb',
];
const CUSTOM_EVENT_TYPES = ['attribution', 'location', 'media', 'navigation', 'search', 'social', 'transaction', 'user_content', 'user_preference', 'other'];

export function lintEventFile(fileName: string, text: string, options: EventFileLintOptions = {}): QueryDiagnostic[] {
  const kind = eventFileKindOf(fileName);
  if (!kind) return [];
  return new EventFileLinter(text, kind, options).run();
}

class EventFileLinter {
  private readonly diagnostics: QueryDiagnostic[] = [];
  private readonly now: number;

  constructor(
    private readonly text: string,
    private readonly kind: EventFileKind,
    private readonly options: EventFileLintOptions,
  ) {
    this.now = options.now ?? Date.now();
  }

  run(): QueryDiagnostic[] {
    const content = readEventFile(this.text, this.kind);
    for (const error of content.syntaxErrors) this.report(error.span, 'error', EventFileCode.jsonSyntax, `JSON syntax error: ${error.message}`);
    if (this.kind === 'mparticle') {
      content.records.forEach((record) => this.checkBatch(record.node));
      const extra = content.records[MPARTICLE_MAX_BATCHES_PER_REQUEST];
      if (extra)
        this.report(
          headSpan(extra.node),
          'information',
          EventFileCode.tooManyBatches,
          `More than ${MPARTICLE_MAX_BATCHES_PER_REQUEST} batches (${content.records.length}): one /v2/bulkevents request takes at most ${MPARTICLE_MAX_BATCHES_PER_REQUEST}; "aq send" splits them into ${Math.ceil(content.records.length / MPARTICLE_MAX_BATCHES_PER_REQUEST)} requests.`,
        );
    } else {
      content.records.forEach((record) => this.checkMixpanelEvent(record.node));
      const extra = content.records[MIXPANEL_MAX_EVENTS_PER_REQUEST];
      if (extra)
        this.report(
          headSpan(extra.node),
          'information',
          EventFileCode.tooManyEvents,
          `More than ${MIXPANEL_MAX_EVENTS_PER_REQUEST.toLocaleString('en-US')} events (${content.records.length.toLocaleString('en-US')}): one /import request takes at most ${MIXPANEL_MAX_EVENTS_PER_REQUEST.toLocaleString('en-US')}; "aq send" splits them into ${Math.ceil(content.records.length / MIXPANEL_MAX_EVENTS_PER_REQUEST)} requests.`,
        );
    }
    return this.diagnostics;
  }

  // Mixpanel ------------------------------------------------------------------------------------

  private checkMixpanelEvent(node: JsonNode): void {
    if (node.type !== 'object')
      return this.report(node.span, 'error', EventFileCode.notAnObject, 'Each event must be a JSON object: {"event": "…", "properties": {…}}.');
    const event = propertyOf(node, 'event');
    const properties = propertyOf(node, 'properties');
    if (!event) this.report(headSpan(node), 'error', EventFileCode.missingField, 'The event has no "event" (its name).');
    else if (event.value.type !== 'string' || event.value.value === '')
      this.report(event.value.span, 'error', EventFileCode.wrongType, '"event" must be a non-empty string.');
    if (!properties)
      return this.report(
        headSpan(node),
        'error',
        EventFileCode.missingField,
        'The event has no "properties"; Mixpanel needs at least time, distinct_id and $insert_id.',
      );
    if (properties.value.type !== 'object') return this.report(properties.value.span, 'error', EventFileCode.wrongType, '"properties" must be an object.');
    const props = properties.value;
    this.checkMixpanelTime(props);
    this.checkDistinctId(props);
    this.checkInsertId(event?.value.type === 'string' ? event.value.value : undefined, props);
    if (event?.value.type === 'string') this.checkNames(event.value.value, event.value.span, props);
  }

  private checkMixpanelTime(props: JsonNode & { type: 'object' }): void {
    const time = propertyOf(props, 'time');
    if (!time)
      return this.report(headSpan(props), 'error', EventFileCode.missingField, 'properties.time is missing: seconds (or milliseconds) since the epoch, UTC.');
    if (time.value.type !== 'number')
      return this.report(time.value.span, 'error', EventFileCode.wrongType, 'properties.time must be a number: seconds since the epoch, UTC.');
    const value = time.value.value;
    const isMilliseconds = value > MILLISECONDS_THRESHOLD;
    const ms = isMilliseconds ? value : value * 1000;
    if (isMilliseconds) {
      this.report(
        time.value.span,
        'information',
        EventFileCode.timeInMilliseconds,
        'properties.time is in milliseconds. Mixpanel accepts milliseconds as well as seconds, so this is fine; most exports use seconds.',
        [{ title: 'Convert to seconds', edits: [{ span: time.value.span, newText: String(Math.floor(value / 1000)) }] }],
      );
    }
    if (ms / 1000 < EPOCH_1971_S)
      this.report(time.value.span, 'error', EventFileCode.timeTooOld, `properties.time is ${new Date(ms).toISOString()}: Mixpanel rejects events before 1971.`);
    else if (ms > this.now + FUTURE_TOLERANCE_MS)
      this.report(
        time.value.span,
        'warning',
        EventFileCode.timeInFuture,
        `properties.time is ${new Date(ms).toISOString()}, in the future: Mixpanel rejects events more than an hour ahead.`,
      );
  }

  private checkDistinctId(props: JsonNode & { type: 'object' }): void {
    const distinctId = propertyOf(props, 'distinct_id');
    if (!distinctId)
      return this.report(headSpan(props), 'error', EventFileCode.missingField, 'properties.distinct_id is missing; use "" for events without a user.');
    if (distinctId.value.type !== 'string')
      return this.report(distinctId.value.span, 'warning', EventFileCode.wrongType, 'properties.distinct_id should be a string.');
    if (BANNED_IDS.has(distinctId.value.value.toLowerCase()))
      this.report(
        distinctId.value.span,
        'error',
        EventFileCode.invalidDistinctId,
        `"${distinctId.value.value}" is a placeholder Mixpanel rejects as a distinct_id; use "" for events without a user.`,
      );
  }

  private checkInsertId(eventName: string | undefined, props: JsonNode & { type: 'object' }): void {
    const insertId = propertyOf(props, '$insert_id');
    if (!insertId) {
      const fixes: QuickFix[] = [];
      const plain = toPlainValue(props) as Record<string, unknown>;
      if (eventName !== undefined) {
        const id = stableInsertId(eventName, plain);
        fixes.push({
          title: `Add "$insert_id": "${id}"`,
          isPreferred: true,
          edits: [
            { span: { start: props.span.start + 1, end: props.span.start + 1 }, newText: `"$insert_id": "${id}"${props.properties.length > 0 ? ', ' : ''}` },
          ],
        });
      }
      return this.report(
        headSpan(props),
        'information',
        EventFileCode.missingInsertId,
        'No $insert_id: Mixpanel cannot de-duplicate a re-sent event without one. "aq send" adds one derived from the event\'s content.',
        fixes,
      );
    }
    const problem = insertIdProblem(insertId.value.type === 'string' ? insertId.value.value : toPlainValue(insertId.value));
    if (problem) this.report(insertId.value.span, 'error', EventFileCode.invalidInsertId, problem);
  }

  private checkNames(eventName: string, span: TextSpan, props: JsonNode & { type: 'object' }): void {
    const schema = this.options.schema;
    if (!schema || Object.keys(schema.events).length === 0) return;
    const known = schema.events[eventName];
    if (!known) {
      this.reportUnknown(span, eventName, Object.keys(schema.events), EventFileCode.unknownEvent, `Unknown event "${eventName}"`);
      return;
    }
    const names = Object.keys(known.properties);
    for (const property of props.properties) {
      if (MIXPANEL_BUILT_IN.has(property.key) || property.key.startsWith('$') || property.key.startsWith('mp_') || known.properties[property.key]) continue;
      this.reportUnknown(property.keySpan, property.key, names, EventFileCode.unknownProperty, `Unknown property "${property.key}" for event "${eventName}"`);
    }
  }

  // mParticle -----------------------------------------------------------------------------------

  private checkBatch(node: JsonNode): void {
    if (node.type !== 'object')
      return this.report(node.span, 'error', EventFileCode.notAnObject, 'Each mParticle batch must be a JSON object with "environment" and "events".');
    for (const property of node.properties) {
      if (!MPARTICLE_BATCH_FIELDS.includes(property.key))
        this.reportUnknown(
          property.keySpan,
          property.key,
          MPARTICLE_BATCH_FIELDS,
          EventFileCode.unknownField,
          `Unknown batch field "${property.key}" (mParticle refuses batches with unknown fields)`,
          'error',
        );
    }
    const environment = propertyOf(node, 'environment');
    if (!environment) this.report(headSpan(node), 'error', EventFileCode.missingField, 'The batch has no "environment": "production" or "development".');
    else if (environment.value.type !== 'string' || !MPARTICLE_ENVIRONMENTS.includes(environment.value.value)) {
      const value = environment.value.type === 'string' ? environment.value.value : '';
      this.reportUnknown(
        environment.value.span,
        value,
        MPARTICLE_ENVIRONMENTS,
        EventFileCode.invalidValue,
        `"environment" must be "production" or "development"${value ? `, not "${value}"` : ''}`,
        'error',
        true,
      );
    }
    const identities = propertyOf(node, 'user_identities');
    if (identities?.value.type === 'object') {
      for (const identity of identities.value.properties) {
        if (!MPARTICLE_IDENTITIES.includes(identity.key))
          this.reportUnknown(
            identity.keySpan,
            identity.key,
            MPARTICLE_IDENTITIES,
            EventFileCode.unknownField,
            `"${identity.key}" is not an mParticle user identity`,
            'error',
          );
      }
    }
    const events = propertyOf(node, 'events');
    if (!events) return this.report(headSpan(node), 'warning', EventFileCode.missingField, 'The batch has no "events"; it only updates the user.');
    if (events.value.type !== 'array') return this.report(events.value.span, 'error', EventFileCode.wrongType, '"events" must be an array.');
    const startedSessions = new Set<string>();
    let anySessionStart = false;
    for (const event of events.value.items) {
      const session = this.checkMparticleEvent(event);
      if (session?.type === 'session_start') {
        anySessionStart = true;
        if (session.id !== undefined) startedSessions.add(session.id);
      }
      if (session?.type === 'session_end') {
        const matched = session.id !== undefined ? startedSessions.has(session.id) : anySessionStart;
        if (!matched)
          this.report(
            session.span,
            'warning',
            EventFileCode.sessionEndWithoutStart,
            `A session_end${session.id !== undefined ? ` for session ${session.id}` : ''} without an earlier session_start in this batch: the session's length cannot be computed.`,
          );
      }
    }
  }

  /** Checks one event; returns what session bookkeeping needs. */
  private checkMparticleEvent(node: JsonNode): { type: string; id: string | undefined; span: TextSpan } | undefined {
    if (node.type !== 'object') {
      this.report(node.span, 'error', EventFileCode.notAnObject, 'Each event must be an object with "event_type" and "data".');
      return undefined;
    }
    const eventType = propertyOf(node, 'event_type');
    if (!eventType) {
      this.report(headSpan(node), 'error', EventFileCode.missingField, 'The event has no "event_type".');
      return undefined;
    }
    if (eventType.value.type !== 'string' || !MPARTICLE_EVENT_TYPES.includes(eventType.value.value)) {
      const value = eventType.value.type === 'string' ? eventType.value.value : '';
      this.reportUnknown(
        eventType.value.span,
        value,
        MPARTICLE_EVENT_TYPES,
        EventFileCode.invalidValue,
        `"${value}" is not an mParticle event_type`,
        'error',
        true,
      );
      return undefined;
    }
    const type = eventType.value.value;
    const data = propertyOf(node, 'data')?.value;
    if (data && data.type !== 'object') this.report(data.span, 'error', EventFileCode.wrongType, '"data" must be an object.');
    const dataObject = data?.type === 'object' ? data : undefined;
    if (type === 'custom_event') this.checkCustomEvent(dataObject, headSpan(node));
    const timestamp = propertyOf(dataObject, 'timestamp_unixtime_ms');
    if (timestamp) {
      if (timestamp.value.type !== 'number')
        this.report(timestamp.value.span, 'error', EventFileCode.wrongType, 'timestamp_unixtime_ms must be a number of milliseconds.');
      else if (timestamp.value.value < MILLISECONDS_THRESHOLD) {
        this.report(timestamp.value.span, 'warning', EventFileCode.timeInSeconds, 'timestamp_unixtime_ms looks like seconds; mParticle expects milliseconds.', [
          { title: 'Convert to milliseconds', edits: [{ span: timestamp.value.span, newText: String(Math.round(timestamp.value.value * 1000)) }] },
        ]);
      } else if (timestamp.value.value > this.now + FUTURE_TOLERANCE_MS) {
        this.report(
          timestamp.value.span,
          'warning',
          EventFileCode.timeInFuture,
          `timestamp_unixtime_ms is ${new Date(timestamp.value.value).toISOString()}, in the future.`,
        );
      }
    }
    const sessionId = propertyOf(dataObject, 'session_uuid') ?? propertyOf(dataObject, 'session_id');
    const id = sessionId ? String(toPlainValue(sessionId.value)) : undefined;
    return { type, id, span: eventType.value.span };
  }

  private checkCustomEvent(data: (JsonNode & { type: 'object' }) | undefined, fallback: TextSpan): void {
    const name = propertyOf(data, 'event_name');
    const customType = propertyOf(data, 'custom_event_type');
    if (!name) this.report(data ? headSpan(data) : fallback, 'error', EventFileCode.missingField, 'A custom_event needs data.event_name.');
    else if (name.value.type !== 'string') this.report(name.value.span, 'error', EventFileCode.wrongType, 'data.event_name must be a string.');
    else {
      const schema = this.options.schema;
      if (schema && Object.keys(schema.events).length > 0 && !schema.events[name.value.value]) {
        this.reportUnknown(name.value.span, name.value.value, Object.keys(schema.events), EventFileCode.unknownEvent, `Unknown event "${name.value.value}"`);
      }
    }
    if (!customType)
      this.report(
        data ? headSpan(data) : fallback,
        'error',
        EventFileCode.missingField,
        `A custom_event needs data.custom_event_type (${CUSTOM_EVENT_TYPES.join(', ')}).`,
      );
    else if (customType.value.type !== 'string' || !CUSTOM_EVENT_TYPES.includes(customType.value.value)) {
      const value = customType.value.type === 'string' ? customType.value.value : '';
      this.reportUnknown(customType.value.span, value, CUSTOM_EVENT_TYPES, EventFileCode.invalidValue, `"${value}" is not a custom_event_type`, 'error', true);
    }
  }

  // Reporting -----------------------------------------------------------------------------------

  /**
   * Reports an unknown name with "did you mean" fixes that replace the quoted string at `span`.
   * `listAll` names the allowed values when nothing is close (short enums).
   */
  private reportUnknown(
    span: TextSpan,
    name: string,
    candidates: string[],
    code: string,
    message: string,
    severity: 'error' | 'warning' = 'warning',
    listAll = false,
  ): void {
    const suggestions = suggestNames(name, candidates);
    const fixes: QuickFix[] = suggestions.map((suggestion, i) => ({
      title: `Change to "${suggestion}"`,
      isPreferred: i === 0,
      edits: [{ span, newText: JSON.stringify(suggestion) }],
    }));
    let text = message;
    if (suggestions.length > 0) text += `; did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?`;
    else if (listAll) text += ` (one of ${candidates.join(', ')}).`;
    else text += '.';
    this.report(span, severity, code, text, fixes);
  }

  private report(span: TextSpan, severity: QueryDiagnostic['severity'], code: string, message: string, fixes?: QuickFix[]): void {
    const diagnostic: QueryDiagnostic = { span, severity, code, message };
    if (fixes && fixes.length > 0) diagnostic.fixes = fixes;
    this.diagnostics.push(diagnostic);
  }
}

/** The first character of a node: where "this object lacks X" points without underlining it all. */
function headSpan(node: JsonNode): TextSpan {
  return { start: node.span.start, end: node.span.start + 1 };
}
