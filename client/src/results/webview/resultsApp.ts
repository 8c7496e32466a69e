/**
 * The results webview: a header with the run's facts, tabs Table / Chart / Raw, the `clean`
 * toggle and export buttons. Talks to the extension only through postMessage (resultsMessages.ts).
 */
import './resultsApp.css';
import type { QueryResult } from '../../../../server/src/protocol/resultModel';
import { resultToChartSpec } from '../../../../server/src/results/chartModel';
import { cleanResult } from '../../../../server/src/results/cleanSegments';
import { formatResultMarkdown } from '../../../../server/src/results/resultMarkdown';
import { resultToTable } from '../../../../server/src/results/resultTable';
import { limitNoticeText, raisedLimit } from '../../../../server/src/protocol/limitNotice';
import { parseHostMessage, type ExportFormat, type WebviewToHostMessage } from '../resultsMessages';
import { formatCell } from './cellFormat';
import { ChartView } from './chartView';
import { DataTable } from './dataTable';
import { DebuggerView } from './debuggerView';
import { button, element } from './dom';

interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Tab = 'table' | 'chart' | 'raw';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'table', label: 'Table' },
  { id: 'chart', label: 'Chart' },
  { id: 'raw', label: 'Raw' },
];
/** The Raw tab shows at most this much; the full answer is in Export JSON. */
const MAX_RAW_CHARS = 2_000_000;

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() ?? {}) as { tab?: Tab; clean?: boolean; viewKey?: string };

let current: QueryResult | undefined;
let activeTab: Tab = saved.tab && TABS.some((tab) => tab.id === saved.tab) ? saved.tab : 'table';
let cleanToggle = saved.clean === true;
/** Which query (and `chart`) the active tab was chosen for; survives the webview being reloaded. */
let viewKey = saved.viewKey;

const dataTable = new DataTable((text) => vscode.postMessage({ type: 'copy', text }));
const debuggerView = new DebuggerView();
const chartView = new ChartView();
const rawView = element('pre', { className: 'raw-view' });

const title = element('h1', { className: 'title' });
const headline = element('p', { className: 'headline' });
const facts = element('div', { className: 'facts' });
const limitText = element('span');
const limitButton = button('Raise limit', () => vscode.postMessage({ type: 'raiseLimit' }), {
  title: 'Write a limit that shows every segment into the query and run it again',
});
const limitNotice = element('div', { className: 'limit-notice', attributes: { role: 'status' } }, [limitText, limitButton]);
// Notes about the data (skipped lines, dropped duplicates) are a count you can open, not a banner.
const warnings = element('ul', { className: 'warnings' });
const notesSummary = element('summary');
const notes = element('details', { className: 'notes' }, [notesSummary, warnings]);
const queryTextView = element('pre', { className: 'query-text' });
const queryDetails = element('details', { className: 'ran-query' }, [element('summary', { text: 'Query as it ran' }), queryTextView]);
const banner = element('div', { className: 'banner', attributes: { role: 'status' } });
const cleanInput = element('input', { attributes: { type: 'checkbox', id: 'clean-toggle' } });
const cleanLabel = element('label', { className: 'clean-toggle', title: 'Hide "", "undefined" and empty segments' }, [
  cleanInput,
  document.createTextNode(' clean'),
]);
cleanInput.addEventListener('change', () => {
  cleanToggle = cleanInput.checked;
  persist();
  render();
});

const tabButtons = TABS.map((tab) => button(tab.label, () => showTab(tab.id), { className: 'tab', attributes: { role: 'tab', 'data-tab': tab.id } }));
const pngButton = button('Save as PNG', savePng, { title: 'Save the chart as a PNG image' });
const exportButtons = element('div', { className: 'actions' }, [
  button('Export CSV', () => postExport('csv')),
  button('Export Cyfe CSV', () => postExport('cyfe-csv'), { title: 'Date as YYYYMMDD, one column per segment' }),
  button('Export JSON', () => postExport('json')),
  button('Copy as Markdown', copyMarkdown, { title: 'Copy the table as Markdown, for pull requests and chat' }),
  pngButton,
  button('Re-run', () => vscode.postMessage({ type: 'rerun' }), { title: 'Run the query again, skipping the cache' }),
]);
const panes: Record<Tab, HTMLElement> = {
  table: element('div', { className: 'pane', attributes: { role: 'tabpanel', 'data-pane': 'table' } }),
  chart: element('div', { className: 'pane', attributes: { role: 'tabpanel', 'data-pane': 'chart' } }, [chartView.root]),
  raw: element('div', { className: 'pane', attributes: { role: 'tabpanel', 'data-pane': 'raw' } }, [rawView]),
};

const app = document.getElementById('app') ?? document.body;
app.replaceChildren(
  element('header', {}, [title, headline, facts, limitNotice, notes, queryDetails, banner]),
  element('nav', { className: 'toolbar' }, [element('div', { className: 'tabs', attributes: { role: 'tablist' } }, tabButtons), cleanLabel, exportButtons]),
  panes.table,
  panes.chart,
  panes.raw,
);
renderEmpty();

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseHostMessage(event.data);
  if (!message) return;
  switch (message.type) {
    case 'showResult': {
      // A new query (not a re-run or a cached copy of the same one) opens on the view it asks for.
      const key = `${message.result.title}\u0000${message.result.chart ?? ''}`;
      current = message.result;
      queryDetails.hidden = message.queryText === undefined;
      queryTextView.textContent = message.queryText ?? '';
      if (key !== viewKey) {
        viewKey = key;
        activeTab = firstView(message.result);
      }
      showBanner('');
      render();
      break;
    }
    case 'running':
      showBanner(`Running ${message.title}…`, true);
      break;
    case 'runFailed':
      showBanner(message.message, false, true);
      break;
  }
});
vscode.postMessage({ type: 'ready' });

function shownResult(): QueryResult | undefined {
  if (!current) return undefined;
  return cleanToggle && !current.cleaned ? cleanResult(current) : current;
}

function render(): void {
  const result = shownResult();
  if (!result) return renderEmpty();
  document.title = result.title;
  title.textContent = result.title;
  facts.textContent = describeFacts(result);
  headline.textContent = result.meta.headline ?? '';
  limitNotice.hidden = !result.meta.limited;
  if (result.meta.limited) {
    limitText.textContent = limitNoticeText(result.meta.limited).replace(/ — raise limit$/, '');
    limitButton.textContent = `Raise limit to ${raisedLimit(result.meta.limited)}`;
  }
  notes.hidden = result.meta.warnings.length === 0;
  notesSummary.textContent = result.meta.warnings.length === 1 ? '1 note about the data' : `${result.meta.warnings.length} notes about the data`;
  warnings.replaceChildren(...result.meta.warnings.map((warning) => element('li', { text: warning.message })));
  cleanInput.checked = result.cleaned;
  cleanInput.disabled = current?.cleaned === true;
  cleanLabel.title = cleanInput.disabled ? 'The query already says clean' : 'Hide "", "undefined" and empty segments';

  if (result.data.kind === 'debugger') {
    debuggerView.setData(result.data);
    panes.table.replaceChildren(debuggerView.root);
  } else {
    dataTable.setTable(resultToTable(result));
    panes.table.replaceChildren(dataTable.root);
  }
  chartView.setSpec(resultToChartSpec(result));
  const raw = result.raw ?? JSON.stringify(result.data, null, 2);
  rawView.textContent = raw.length > MAX_RAW_CHARS ? `${raw.slice(0, MAX_RAW_CHARS)}\n… clipped; use Export JSON for everything.` : raw;
  if (result.rawTruncated) rawView.textContent += '\n… the backend response was clipped.';
  showTab(activeTab);
}

/** The view a result opens on: the one `chart` names; else the chart of a funnel or retention, the table otherwise. */
function firstView(result: QueryResult): Tab {
  if (result.chart) return result.chart === 'table' ? 'table' : 'chart';
  return result.data.kind === 'funnel' || result.data.kind === 'retention' ? 'chart' : 'table';
}

function renderEmpty(): void {
  title.textContent = 'No result yet';
  limitNotice.hidden = true;
  notes.hidden = true;
  queryDetails.hidden = true;
  facts.textContent = 'Run a query (▶ Run above it, or Ctrl+Enter) to see its result here.';
  showTab(activeTab);
}

function describeFacts(result: QueryResult): string {
  const parts = [`${result.source.kind} · ${result.source.name}`];
  if (result.range) parts.push(`${result.range.from} → ${result.range.to}`);
  parts.push(`${formatCell(result.meta.rowCount)} ${result.meta.rowCount === 1 ? 'row' : 'rows'}`);
  if (result.meta.seriesCount > 0) parts.push(`${formatCell(result.meta.seriesCount)} series`);
  parts.push(`${formatCell(Math.round(result.meta.durationMs) / 1000)} s`);
  if (result.meta.cachedAgeMs !== undefined)
    parts.push(result.meta.cachedAgeMs < 60_000 ? 'cached just now' : `cached ${Math.floor(result.meta.cachedAgeMs / 60_000)} min ago`);
  parts.push(`computed ${result.meta.computedAt}`);
  return parts.join(' · ');
}

function showTab(tab: Tab): void {
  activeTab = tab;
  persist();
  for (const node of tabButtons) node.setAttribute('aria-selected', String(node.dataset.tab === tab));
  for (const [id, pane] of Object.entries(panes)) pane.hidden = id !== tab;
  pngButton.disabled = tab !== 'chart';
  if (tab === 'chart') chartView.draw();
  if (tab === 'table') dataTable.refresh();
}

function showBanner(text: string, running = false, isError = false): void {
  banner.replaceChildren();
  banner.className = `banner${isError ? ' error' : ''}${running ? ' running' : ''}`;
  if (!text) return;
  banner.append(element('span', { text }));
  if (running) banner.append(button('Cancel', () => vscode.postMessage({ type: 'cancel' })));
}

function postExport(format: ExportFormat): void {
  if (current) vscode.postMessage({ type: 'export', format, clean: cleanToggle && !current.cleaned });
}

function copyMarkdown(): void {
  const result = shownResult();
  if (result) vscode.postMessage({ type: 'copy', text: formatResultMarkdown(result) });
}

function savePng(): void {
  const dataUrl = chartView.toPngDataUrl();
  if (dataUrl) vscode.postMessage({ type: 'savePng', dataUrl });
}

function persist(): void {
  vscode.setState({ tab: activeTab, clean: cleanToggle, viewKey });
}
