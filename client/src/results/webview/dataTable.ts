/**
 * The Table tab: sortable columns, a filter box, copy as TSV, and virtual scrolling — only the rows
 * in view (plus a margin) exist in the DOM, so 100k rows scroll without freezing. From the keyboard:
 * Tab to a header and Enter sorts; in the table, arrows, Home/End and Page Up/Down move the selected
 * cell. As rows come and go, the grid carries aria-rowcount/aria-rowindex, and a live region
 * announces the selected cell with its row and column ("Row 3 of 50, France: 1,200").
 */
import type { ResultTable, TableCell } from '../../../../server/src/results/resultTable';
import { formatCell, toTsv } from './cellFormat';
import { button, element } from './dom';

const ROW_HEIGHT = 24;
const OVERSCAN_ROWS = 15;
const FILTER_DELAY_MS = 120;

type SortDirection = 'asc' | 'desc';

export class DataTable {
  readonly root: HTMLElement;
  private table: ResultTable = { columns: [], rows: [] };
  /** Indices into table.rows, after filter and sort, in display order. */
  private view: number[] = [];
  private sort: { column: number; direction: SortDirection } | undefined;
  private filterText = '';
  private selected: { row: number; column: number } | undefined;
  private readonly scroller: HTMLElement;
  private readonly headRow: HTMLTableRowElement;
  private readonly body: HTMLTableSectionElement;
  private readonly colgroup: HTMLTableColElement;
  private readonly countLabel: HTMLElement;
  private readonly filterInput: HTMLInputElement;
  private readonly tableElement: HTMLTableElement;
  private readonly announcer: HTMLElement;
  private renderedRange = { start: -1, end: -1 };
  private filterTimer: ReturnType<typeof setTimeout> | undefined;
  private frameRequested = false;

  constructor(private readonly copy: (text: string) => void) {
    this.filterInput = element('input', { className: 'filter', attributes: { type: 'search', placeholder: 'Filter rows', 'aria-label': 'Filter rows' } });
    this.filterInput.addEventListener('input', () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => this.setFilter(this.filterInput.value), FILTER_DELAY_MS);
    });
    this.countLabel = element('span', { className: 'row-count' });
    const toolbar = element('div', { className: 'table-toolbar' }, [
      this.filterInput,
      this.countLabel,
      button('Copy cell', () => this.copySelection('cell'), { title: 'Copy the selected cell' }),
      button('Copy row', () => this.copySelection('row'), { title: 'Copy the selected row as TSV' }),
      button('Copy all', () => this.copyAll(), { title: 'Copy every shown row as TSV, with the header' }),
    ]);
    this.colgroup = element('colgroup');
    this.headRow = element('tr');
    this.body = element('tbody');
    this.tableElement = element('table', { className: 'data-table', attributes: { role: 'grid', 'aria-label': 'Result table' } }, [
      this.colgroup,
      element('thead', {}, [this.headRow]),
      this.body,
    ]);
    this.scroller = element(
      'div',
      { className: 'table-scroller', attributes: { tabindex: '0', 'aria-label': 'Result table: arrow keys move between cells' } },
      [this.tableElement],
    );
    this.scroller.addEventListener('scroll', () => this.requestRender());
    this.scroller.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.body.addEventListener('click', (event) => this.selectFromEvent(event));
    this.announcer = element('div', { className: 'sr-only', attributes: { 'aria-live': 'polite', role: 'status' } });
    this.root = element('div', { className: 'table-view' }, [toolbar, this.scroller, this.announcer]);
  }

  setTable(table: ResultTable): void {
    this.table = table;
    this.selected = undefined;
    if (this.sort && this.sort.column >= table.columns.length) this.sort = undefined;
    this.renderHeader();
    this.recomputeView();
  }

  /** The rows shown, in order (for tests and "Copy all"). */
  visibleRowCount(): number {
    return this.view.length;
  }

  /** Re-render after the table became visible (its height was 0 while hidden). */
  refresh(): void {
    this.renderedRange = { start: -1, end: -1 };
    this.renderWindow();
  }

  private setFilter(text: string): void {
    this.filterText = text.trim().toLowerCase();
    this.recomputeView();
  }

  private renderHeader(): void {
    this.headRow.replaceChildren();
    this.colgroup.replaceChildren();
    this.table.columns.forEach((column, index) => {
      const indicator = this.sort?.column === index ? (this.sort.direction === 'asc' ? ' ▲' : ' ▼') : '';
      const header = element('th', {
        className: column.type === 'number' ? 'number' : '',
        text: column.name + indicator,
        title: `Sort by ${column.name}`,
        attributes: { scope: 'col', 'aria-sort': this.sort?.column === index ? (this.sort.direction === 'asc' ? 'ascending' : 'descending') : 'none' },
      });
      header.tabIndex = 0;
      header.setAttribute('aria-colindex', String(index + 1));
      header.addEventListener('click', () => this.toggleSort(index));
      header.addEventListener('keydown', (event) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        this.toggleSort(index);
        (this.headRow.children[index] as HTMLElement | undefined)?.focus();
      });
      this.headRow.append(header);
      const col = element('col');
      col.style.width = `${this.columnWidth(index)}px`;
      this.colgroup.append(col);
    });
  }

  /** Width from the header and a sample of cells, so columns do not jump while scrolling. */
  private columnWidth(index: number): number {
    let longest = this.table.columns[index].name.length + 2;
    const sample = Math.min(this.table.rows.length, 300);
    for (let row = 0; row < sample; row++) longest = Math.max(longest, formatCell(this.table.rows[row][index] ?? null).length);
    return Math.min(420, Math.max(64, longest * 8 + 20));
  }

  private toggleSort(column: number): void {
    // Numbers sort largest first, text A→Z; a second click reverses, a third restores the result order.
    const first: SortDirection = this.table.columns[column].type === 'number' ? 'desc' : 'asc';
    if (this.sort?.column !== column) this.sort = { column, direction: first };
    else if (this.sort.direction === first) this.sort = { column, direction: first === 'asc' ? 'desc' : 'asc' };
    else this.sort = undefined;
    this.renderHeader();
    this.recomputeView();
  }

  private recomputeView(): void {
    const rows = this.table.rows;
    let view = rows.map((_row, index) => index);
    if (this.filterText) {
      const needle = this.filterText;
      view = view.filter((index) => rows[index].some((cell) => cell !== null && formatCell(cell).toLowerCase().includes(needle)));
    }
    if (this.sort) {
      const { column, direction } = this.sort;
      const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
      const sign = direction === 'asc' ? 1 : -1;
      view.sort((a, b) => compareCells(rows[a][column] ?? null, rows[b][column] ?? null, collator, sign) || a - b);
    }
    this.view = view;
    this.tableElement.setAttribute('aria-rowcount', String(view.length + 1));
    this.tableElement.setAttribute('aria-colcount', String(this.table.columns.length));
    this.countLabel.textContent =
      view.length === rows.length ? `${rows.length.toLocaleString()} rows` : `${view.length.toLocaleString()} of ${rows.length.toLocaleString()} rows`;
    this.scroller.scrollTop = 0;
    this.refresh();
  }

  private requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.renderWindow();
    });
  }

  private renderWindow(): void {
    const height = this.scroller.clientHeight || 600;
    const start = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN_ROWS);
    const end = Math.min(this.view.length, Math.ceil((this.scroller.scrollTop + height) / ROW_HEIGHT) + OVERSCAN_ROWS);
    if (start === this.renderedRange.start && end === this.renderedRange.end) return;
    this.renderedRange = { start, end };
    const fragment = document.createDocumentFragment();
    fragment.append(spacerRow(start * ROW_HEIGHT, this.table.columns.length));
    for (let position = start; position < end; position++) fragment.append(this.renderRow(position));
    fragment.append(spacerRow((this.view.length - end) * ROW_HEIGHT, this.table.columns.length));
    this.body.replaceChildren(fragment);
  }

  private renderRow(position: number): HTMLTableRowElement {
    const rowIndex = this.view[position];
    const row = this.table.rows[rowIndex];
    const tr = element('tr', { attributes: { 'data-position': String(position), 'aria-rowindex': String(position + 2) } });
    this.table.columns.forEach((column, columnIndex) => {
      const cell = row[columnIndex] ?? null;
      const isSelected = this.selected?.row === rowIndex && this.selected.column === columnIndex;
      const td = element('td', {
        className: [column.type === 'number' && typeof cell === 'number' ? 'number' : '', isSelected ? 'selected' : '', cell === null ? 'empty' : '']
          .join(' ')
          .trim(),
        text: formatCell(cell),
        attributes: {
          'data-column': String(columnIndex),
          'aria-colindex': String(columnIndex + 1),
          ...(columnIndex === 0 ? { role: 'rowheader' } : { role: 'gridcell' }),
          ...(isSelected ? { 'aria-selected': 'true' } : {}),
        },
      });
      tr.append(td);
    });
    return tr;
  }

  private selectFromEvent(event: MouseEvent): void {
    const cell = (event.target as HTMLElement).closest('td');
    const row = cell?.parentElement;
    if (!cell || !row?.dataset.position || cell.dataset.column === undefined) return;
    this.selected = { row: this.view[Number(row.dataset.position)], column: Number(cell.dataset.column) };
    this.refresh();
  }

  private onKeyDown(event: KeyboardEvent): void {
    if ((event.ctrlKey || event.metaKey) && event.key === 'c' && this.selected) {
      event.preventDefault();
      this.copySelection('cell');
      return;
    }
    const page = Math.max(1, Math.floor((this.scroller.clientHeight || 600) / ROW_HEIGHT) - 1);
    const moves: Record<string, [number, number]> = {
      ArrowDown: [1, 0],
      ArrowUp: [-1, 0],
      ArrowRight: [0, 1],
      ArrowLeft: [0, -1],
      PageDown: [page, 0],
      PageUp: [-page, 0],
    };
    const lastColumn = this.table.columns.length - 1;
    if (this.view.length === 0 || lastColumn < 0) return;
    const position = this.selected ? this.view.indexOf(this.selected.row) : -1;
    const column = this.selected?.column ?? 0;
    let next: { position: number; column: number } | undefined;
    if (moves[event.key]) {
      const [down, right] = moves[event.key];
      next =
        position < 0 ? { position: 0, column: 0 } : { position: clamp(position + down, 0, this.view.length - 1), column: clamp(column + right, 0, lastColumn) };
    } else if (event.key === 'Home') next = { position: event.ctrlKey ? 0 : Math.max(0, position), column: 0 };
    else if (event.key === 'End') next = { position: event.ctrlKey ? this.view.length - 1 : Math.max(0, position), column: lastColumn };
    if (!next) return;
    event.preventDefault();
    this.selected = { row: this.view[next.position], column: next.column };
    // Keep the selected row in view: the rows outside it do not exist in the DOM.
    const top = next.position * ROW_HEIGHT;
    const header = ROW_HEIGHT;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW_HEIGHT + header > this.scroller.scrollTop + this.scroller.clientHeight)
      this.scroller.scrollTop = top + ROW_HEIGHT + header - this.scroller.clientHeight;
    this.refresh();
    const cell = this.table.rows[this.selected.row][next.column] ?? null;
    this.announcer.textContent = `Row ${next.position + 1} of ${this.view.length}, ${this.table.columns[next.column].name}: ${cell === null ? 'empty' : formatCell(cell)}`;
  }

  private copySelection(what: 'cell' | 'row'): void {
    if (!this.selected) return;
    const row = this.table.rows[this.selected.row];
    this.copy(what === 'cell' ? toTsv(undefined, [[row[this.selected.column] ?? null]]) : toTsv(undefined, [row]));
  }

  private copyAll(): void {
    const rows: TableCell[][] = this.view.map((index) => this.table.rows[index]);
    this.copy(
      toTsv(
        this.table.columns.map((column) => column.name),
        rows,
      ),
    );
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function spacerRow(height: number, columns: number): HTMLTableRowElement {
  const row = element('tr', { className: 'spacer', attributes: { 'aria-hidden': 'true' } });
  const cell = element('td', { attributes: { colspan: String(Math.max(1, columns)) } });
  row.style.height = `${height}px`;
  row.append(cell);
  return row;
}

/** Nulls last in both directions; numbers numerically; everything else by locale with numeric parts. */
function compareCells(a: TableCell, b: TableCell, collator: Intl.Collator, sign: number): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return (a - b) * sign;
  return collator.compare(String(a), String(b)) * sign;
}
