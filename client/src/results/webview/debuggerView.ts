/**
 * Piwik PRO debugger results: one row per session, expandable to its events. A broken event
 * (type 17 or one with an error message) is highlighted, with its error and the raw tracking
 * request log beside it — what the broken-event checker notebook printed by hand.
 */
import type { DebuggerData, DebuggerEvent, DebuggerSession } from '../../../../server/src/protocol/resultModel';
import { button, element } from './dom';

const BROKEN_EVENT_TYPE = 17;
const SESSIONS_PER_PAGE = 100;

export function isBrokenEvent(event: DebuggerEvent): boolean {
  return event.type.code === BROKEN_EVENT_TYPE || Boolean(event.errorMessage);
}

export class DebuggerView {
  readonly root: HTMLElement;
  private data: DebuggerData = { kind: 'debugger', sessions: [] };
  private shown = SESSIONS_PER_PAGE;
  private filterText = '';
  private readonly expanded = new Set<string>();
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;

  constructor() {
    const filter = element('input', { className: 'filter', attributes: { type: 'search', placeholder: 'Filter sessions', 'aria-label': 'Filter sessions' } });
    filter.addEventListener('input', () => {
      this.filterText = filter.value.trim().toLowerCase();
      this.shown = SESSIONS_PER_PAGE;
      this.render();
    });
    this.summary = element('span', { className: 'row-count' });
    this.list = element('div', { className: 'sessions' });
    this.root = element('div', { className: 'debugger-view' }, [element('div', { className: 'table-toolbar' }, [filter, this.summary]), this.list]);
  }

  setData(data: DebuggerData): void {
    this.data = data;
    this.shown = SESSIONS_PER_PAGE;
    this.render();
  }

  private render(): void {
    const sessions = this.data.sessions.filter((session) => !this.filterText || sessionText(session).includes(this.filterText));
    const broken = sessions.reduce((sum, session) => sum + session.events.filter(isBrokenEvent).length, 0);
    this.summary.textContent = `${count(sessions.length, 'session')} · ${count(broken, 'broken event')}`;
    const items: HTMLElement[] = sessions.slice(0, this.shown).map((session) => this.renderSession(session));
    if (sessions.length > this.shown) {
      items.push(
        button(
          `Show ${Math.min(SESSIONS_PER_PAGE, sessions.length - this.shown)} more sessions`,
          () => {
            this.shown += SESSIONS_PER_PAGE;
            this.render();
          },
          { className: 'more' },
        ),
      );
    }
    if (sessions.length === 0) items.push(element('p', { className: 'empty-note', text: 'No sessions.' }));
    this.list.replaceChildren(...items);
  }

  private renderSession(session: DebuggerSession): HTMLElement {
    const isOpen = this.expanded.has(session.sessionId);
    const brokenCount = session.events.filter(isBrokenEvent).length;
    const toggle = button(
      isOpen ? '▾' : '▸',
      () => {
        if (isOpen) this.expanded.delete(session.sessionId);
        else this.expanded.add(session.sessionId);
        this.render();
      },
      { className: 'expander', attributes: { 'aria-expanded': String(isOpen), 'aria-label': `Events of session ${session.sessionId}` } },
    );
    const header = element('div', { className: `session-row${brokenCount > 0 ? ' has-broken' : ''}` }, [
      toggle,
      element('span', { className: 'session-id', text: session.sessionId }),
      element('span', { text: `visitor ${session.visitorId}` }),
      element('span', { text: session.serverTime }),
      element('span', { className: 'url', text: session.entryUrl ?? '' }),
      element('span', { text: count(session.totalEvents, 'event') }),
      brokenCount > 0 ? element('span', { className: 'broken-badge', text: `${brokenCount} broken` }) : undefined,
    ]);
    const container = element('div', { className: 'session' }, [header]);
    if (isOpen) container.append(element('div', { className: 'events' }, session.events.map(renderEvent)));
    return container;
  }
}

function renderEvent(event: DebuggerEvent): HTMLElement {
  const broken = isBrokenEvent(event);
  const details = element('div', { className: 'event-details' }, [
    element('span', { className: 'event-index', text: `#${event.index}` }),
    element('span', { text: event.serverTime }),
    element('span', { className: 'event-type', text: event.type.label }),
    element('span', { className: 'url', text: event.title ?? event.url ?? '' }),
    event.errorMessage ? element('div', { className: 'error-message', text: event.errorMessage }) : undefined,
    event.exclusionReason ? element('div', { className: 'exclusion', text: `Excluded: ${event.exclusionReason}` }) : undefined,
  ]);
  const log = broken && event.logs?.length ? element('pre', { className: 'raw-log', text: JSON.stringify(event.logs, null, 2) }) : undefined;
  return element('div', { className: `event${broken ? ' broken' : ''}` }, [details, log]);
}

function count(value: number, noun: string): string {
  return `${value.toLocaleString()} ${noun}${value === 1 ? '' : 's'}`;
}

function sessionText(session: DebuggerSession): string {
  const parts = [session.sessionId, session.visitorId, session.entryUrl ?? ''];
  for (const event of session.events) parts.push(event.type.label, event.url ?? '', event.title ?? '', event.errorMessage ?? '');
  return parts.join('\n').toLowerCase();
}
