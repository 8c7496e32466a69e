/**
 * The Chart tab: turns a ChartSpec (server/src/results/chartModel.ts) into ECharts options, themed
 * from VS Code's CSS variables and re-themed when the body's theme class changes; funnels and the
 * retention heatmap are HTML (reportViews.ts), with the retention curve one click away. Tooltips are
 * built as DOM nodes with textContent, never as HTML strings.
 */
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { ChartSpec } from '../../../../server/src/results/chartModel';
import { formatCell } from './cellFormat';
import { button, element } from './dom';
import { renderFunnelBars, renderRetentionHeatmap } from './reportViews';

echarts.use([LineChart, BarChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

interface ChartTheme {
  foreground: string;
  background: string;
  gridLine: string;
  font: string;
  palette: string[];
}

const FALLBACK_PALETTE = ['#3794ff', '#f14c4c', '#cca700', '#d18616', '#89d185', '#b180d7', '#4ec9b0', '#ce9178'];

function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const variable = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const palette = ['blue', 'red', 'yellow', 'orange', 'green', 'purple'].map((color, index) => variable(`--vscode-charts-${color}`, FALLBACK_PALETTE[index]));
  return {
    foreground: variable('--vscode-editor-foreground', '#333333'),
    background: variable('--vscode-editor-background', '#ffffff'),
    gridLine: variable('--vscode-editorWidget-border', variable('--vscode-panel-border', '#8884')),
    font: variable('--vscode-font-family', 'sans-serif'),
    palette: [...palette, ...FALLBACK_PALETTE.slice(6)],
  };
}

type RetentionView = 'heatmap' | 'curve';

export class ChartView {
  readonly root: HTMLElement;
  private readonly canvasHost: HTMLElement;
  /** The funnel bars and the retention heatmap, drawn as HTML. */
  private readonly reportHost: HTMLElement;
  private readonly viewSwitch: HTMLElement;
  private readonly viewButtons: HTMLButtonElement[];
  private readonly note: HTMLElement;
  private chart: echarts.ECharts | undefined;
  private spec: ChartSpec | undefined;
  private retentionView: RetentionView = 'heatmap';

  constructor() {
    this.note = element('p', { className: 'empty-note' });
    this.canvasHost = element('div', { className: 'chart-host', attributes: { role: 'img', 'aria-label': 'Chart of the result' } });
    this.reportHost = element('div', { className: 'report-host' });
    this.viewButtons = (
      [
        ['heatmap', 'Heatmap'],
        ['curve', 'Retention curve'],
      ] as const
    ).map(([view, label]) =>
      button(
        label,
        () => {
          this.retentionView = view;
          this.draw();
        },
        { className: 'view-choice', attributes: { 'data-view': view, 'aria-pressed': 'false' } },
      ),
    );
    this.viewSwitch = element('div', { className: 'view-switch', attributes: { role: 'group', 'aria-label': 'Retention view' } }, this.viewButtons);
    this.root = element('div', { className: 'chart-view' }, [this.viewSwitch, this.note, this.reportHost, this.canvasHost]);
    new ResizeObserver(() => this.chart?.resize()).observe(this.canvasHost);
    new MutationObserver(() => this.draw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  setSpec(spec: ChartSpec): void {
    this.spec = spec;
  }

  /** Draws the current spec; called when the Chart tab is visible (ECharts needs a size). */
  draw(): void {
    if (!this.spec || this.root.offsetParent === null) return;
    const spec = this.spec;
    this.viewSwitch.hidden = spec.type !== 'heatmap';
    for (const choice of this.viewButtons) choice.setAttribute('aria-pressed', String(choice.dataset.view === this.retentionView));
    if (spec.type === 'none') {
      this.chart?.clear();
      this.note.textContent = spec.reason;
      this.canvasHost.hidden = true;
      this.reportHost.hidden = true;
      return;
    }
    this.note.textContent = '';
    if (spec.type === 'funnel' || (spec.type === 'heatmap' && this.retentionView === 'heatmap')) {
      this.chart?.clear();
      this.canvasHost.hidden = true;
      this.reportHost.hidden = false;
      this.reportHost.replaceChildren(spec.type === 'funnel' ? renderFunnelBars(spec, readTheme().palette) : renderRetentionHeatmap(spec));
      return;
    }
    this.reportHost.hidden = true;
    this.reportHost.replaceChildren();
    this.canvasHost.hidden = false;
    this.chart ??= echarts.init(this.canvasHost, undefined, { renderer: 'canvas' });
    this.chart.setOption(buildOption(spec.type === 'heatmap' ? spec.curve : spec, readTheme()), { notMerge: true });
    this.chart.resize();
  }

  /** The chart as a PNG data URL on the editor's background; undefined when nothing is drawn. */
  toPngDataUrl(): string | undefined {
    if (!this.chart || this.canvasHost.hidden) return undefined;
    return this.chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: readTheme().background });
  }
}

type Option = echarts.EChartsCoreOption;

function buildOption(spec: Extract<ChartSpec, { type: 'line' | 'bar' | 'pie' }>, theme: ChartTheme): Option {
  const textStyle = { color: theme.foreground, fontFamily: theme.font };
  const base: Option = {
    color: theme.palette,
    backgroundColor: 'transparent',
    textStyle,
    animation: false,
    tooltip: { confine: true, formatter: tooltipFormatter, backgroundColor: theme.background, borderColor: theme.gridLine, textStyle },
  };
  const axisLine = { lineStyle: { color: theme.gridLine } };
  const splitLine = { lineStyle: { color: theme.gridLine, opacity: 0.4 } };
  const legend = { type: 'scroll', top: 0, textStyle };
  switch (spec.type) {
    case 'line':
    case 'bar':
      return {
        ...base,
        tooltip: { ...(base.tooltip as object), trigger: 'axis' },
        legend,
        grid: { left: 16, right: 24, top: 40, bottom: 16, containLabel: true },
        xAxis: { type: 'category', data: spec.xLabels, axisLine, axisLabel: { color: theme.foreground } },
        yAxis: { type: 'value', axisLine, splitLine, axisLabel: { color: theme.foreground, formatter: `{value}${spec.valueSuffix ?? ''}` } },
        series: spec.series.map((series, index) => {
          // A previous period takes the colour of the series it compares with, dashed (lines) or hatched and faded (bars).
          const color = theme.palette[(series.previousOf ?? index) % theme.palette.length];
          const previous = series.previousOf !== undefined;
          return {
            name: series.name,
            type: spec.type,
            data: spec.valueSuffix ? series.values.map((value) => ({ value, suffix: spec.valueSuffix })) : series.values,
            showSymbol: spec.xLabels.length <= 60,
            color,
            lineStyle: { type: previous ? 'dashed' : 'solid' },
            itemStyle: previous && spec.type === 'bar' ? { color: 'transparent', borderColor: color, borderType: 'dashed', borderWidth: 2 } : { color },
          };
        }),
      };
    case 'pie':
      return {
        ...base,
        tooltip: { ...(base.tooltip as object), trigger: 'item' },
        legend: { ...legend, orient: 'vertical', left: 0, top: 'middle' },
        series: [{ type: 'pie', radius: ['30%', '70%'], center: ['60%', '50%'], data: spec.slices, label: { color: theme.foreground } }],
      };
  }
}

interface TooltipItem {
  name?: string;
  seriesName?: string;
  value?: unknown;
  color?: unknown;
  data?: unknown;
  percent?: number;
}

/** Tooltip content as DOM nodes: series names are analytics data and must stay text. */
function tooltipFormatter(params: TooltipItem | TooltipItem[]): HTMLElement {
  const items = Array.isArray(params) ? params : [params];
  const box = element('div', { className: 'chart-tooltip' });
  if (items[0]?.name !== undefined) box.append(element('div', { className: 'tooltip-title', text: String(items[0].name) }));
  for (const item of items) {
    const swatch = element('span', { className: 'swatch' });
    if (typeof item.color === 'string') swatch.style.background = item.color;
    box.append(element('div', { className: 'tooltip-row' }, [swatch, element('span', { text: `${item.seriesName ?? ''} ${describeValue(item)}`.trim() })]));
  }
  return box;
}

function describeValue(item: TooltipItem): string {
  if (Array.isArray(item.value)) {
    const [, , percent, users] = item.value as number[];
    return `${percent}% (${formatCell(users)} users)`;
  }
  const data = item.data as { stepPercent?: number; overallPercent?: number; suffix?: string } | undefined;
  const value =
    (typeof item.value === 'number' ? formatCell(item.value) : String(item.value ?? '')) + (data && typeof data === 'object' && data.suffix ? data.suffix : '');
  if (data && typeof data === 'object' && data.stepPercent !== undefined)
    return `${value} · ${data.stepPercent}% from previous · ${data.overallPercent}% overall`;
  if (item.percent !== undefined) return `${value} (${item.percent}%)`;
  return value;
}
